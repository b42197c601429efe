// A fresh, seeded, isolated slice of the stack for every test: its own database, Redis
// database, buckets and Qdrant collections. Plain HTTP to $BIODEV_LEASES_URL (from
// `eval "$(biodev env)"` or `biodev run`), standard library only. The TTL gives the lease
// back should the test binary die before its cleanup.
package biodevlease

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
)

// Lease takes a lease for the test and releases it when the test ends; it returns the
// lease's env (DATABASE_URL, REDIS_URL, S3_BUCKETS, QDRANT_COLLECTION_PREFIX, ...).
func Lease(t *testing.T) map[string]string {
	t.Helper()
	url := os.Getenv("BIODEV_LEASES_URL")
	if url == "" {
		t.Fatal(`BIODEV_LEASES_URL is not set: run eval "$(biodev env)" or biodev run -- go test`)
	}
	resp, err := http.Post(url+"?ttl=600", "application/json", nil)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, body)
	}
	var lease struct {
		ID  string            `json:"id"`
		Env map[string]string `json:"env"`
	}
	if err := json.Unmarshal(body, &lease); err != nil {
		t.Fatalf("POST %s: %v in %s", url, err, body)
	}
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, fmt.Sprintf("%s/%s", url, lease.ID), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("DELETE lease %s: %v", lease.ID, err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("DELETE lease %s: %d", lease.ID, resp.StatusCode)
		}
	})
	return lease.Env
}
