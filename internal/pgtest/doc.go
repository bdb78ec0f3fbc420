// Package pgtest gives integration tests a real PostgreSQL database.
//
// A test binary calls Run from its TestMain. Tests then call URL or NewStore. The
// database is the one named by MANHATTAN_TEST_DATABASE_URL (or DATABASE_URL) when set;
// otherwise one private server (package localpg, durability off) is started for the
// whole test binary on first use, in a temporary folder that Run removes after the
// tests. That server is tied to the test binary: if the binary dies (a panic, a
// timeout, a kill), the server shuts down with it instead of running on. NewStore gives each test its own freshly migrated schema, dropped when the test
// ends, so tests never see each other's rows.
//
// Missing PostgreSQL server binaries fail the tests that need a database, with the
// package to install; they are skipped only when MANHATTAN_TEST_SKIP_DB=1.
package pgtest
