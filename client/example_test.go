package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/client"
	"github.com/manhattan-analytics/manhattan/internal/fixtures"
	"github.com/manhattan-analytics/manhattan/internal/pgtest"
)

func Example() {
	base, stop := exampleServer() // a real server over the clickstream fixture's data
	defer stop()

	c, err := client.New(base, client.WithToken(os.Getenv("MANHATTAN_TOKEN")), client.WithTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	tests, err := c.Tests(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range tests.Tests {
		fmt.Println(t.Name, t.Populations)
	}
	results, err := c.Results(ctx, "red checkout form", []string{"completed checkout"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, pop := range results.Populations {
		fmt.Printf("%s: completed checkout worth %s\n", pop, results.Results[pop][0])
	}
	_, err = c.TestConfig(ctx, "blue checkout form")
	if errors.Is(err, client.ErrNotFound) {
		fmt.Println("no test named blue checkout form")
	}
	// Output:
	// red checkout form [False True]
	// False: completed checkout worth 43.2
	// True: completed checkout worth 64.99
	// no test named blue checkout form
}

// exampleServer serves the clickstream fixture from a fresh schema of the test
// database; stop removes it.
func exampleServer() (base string, stop func()) {
	tb := &exampleTB{}
	store := pgtest.NewStore(tb)
	fixtures.Ingest(tb, store, fixtures.Clickstream, nil)
	srv := httptest.NewServer(api.New(store, api.Options{}))
	return srv.URL, func() { srv.Close(); tb.cleanup() }
}

// exampleTB is the little of testing.TB that the fixture helpers use, for an example
// (which has no *testing.T): a failure ends the program.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (e *exampleTB) Helper()                   {}
func (e *exampleTB) Name() string              { return "Example" }
func (e *exampleTB) Cleanup(f func())          { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) Context() context.Context  { return context.Background() }
func (e *exampleTB) Logf(f string, a ...any)   { log.Printf(f, a...) }
func (e *exampleTB) Errorf(f string, a ...any) { log.Fatalf(f, a...) }
func (e *exampleTB) Fatalf(f string, a ...any) { log.Fatalf(f, a...) }
func (e *exampleTB) Skipf(f string, a ...any)  { log.Fatalf(f, a...) }
func (e *exampleTB) FailNow()                  { log.Fatal("example failed") }
func (e *exampleTB) TempDir() string {
	d, err := os.MkdirTemp("", "manhattan-example-")
	if err != nil {
		log.Fatal(err)
	}
	e.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

func (e *exampleTB) cleanup() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}
