module example.com/biodevlease

go 1.19
