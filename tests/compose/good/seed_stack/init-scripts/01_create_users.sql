CREATE TABLE IF NOT EXISTS users (id serial primary key);
