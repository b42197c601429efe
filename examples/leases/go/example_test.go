// Two tests, each with a lease of its own: different databases and Redis databases,
// both reachable.
package biodevlease

import (
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

var seen = map[string]string{}

func checkLease(t *testing.T) {
	env := Lease(t)
	db, err := url.Parse(env["DATABASE_URL"])
	if err != nil || !strings.HasPrefix(db.Path, "/biodev_lease_") {
		t.Fatalf("DATABASE_URL is not a lease's database: %q", env["DATABASE_URL"])
	}
	if other, ok := seen[db.Path]; ok {
		t.Fatalf("database %s was handed to %s as well", db.Path, other)
	}
	seen[db.Path] = t.Name()
	if env["REDIS_URL"] == "" || env["QDRANT_COLLECTION_PREFIX"] == "" {
		t.Fatalf("the lease's env lacks REDIS_URL or QDRANT_COLLECTION_PREFIX: %v", env)
	}
	conn, err := net.DialTimeout("tcp", db.Host, 5*time.Second)
	if err != nil {
		t.Fatalf("the lease's database %s does not answer: %v", db.Host, err)
	}
	conn.Close()
}

func TestFirstLease(t *testing.T)  { checkLease(t) }
func TestSecondLease(t *testing.T) { checkLease(t) }
