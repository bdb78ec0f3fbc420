// Package localpg runs a private PostgreSQL server from the machine's installed server
// binaries (initdb, pg_ctl): Manhattan's default database when no database URL is given,
// and the database of the integration tests.
//
// A server lives in one data folder. Start initializes a cluster there when the folder
// holds none (superuser "manhattan", trust authentication, UTF-8, C locale), starts it,
// and creates the database "manhattan" when it is missing. A cluster that is already
// running in the folder is reused rather than started twice.
//
// Invariants: the server listens on a unix socket inside the data folder that only its
// own operating-system user (and root) may use; only when the folder's path is too long
// for a socket does it listen on 127.0.0.1 instead. It never listens on other
// interfaces, so trust authentication is limited to this machine. When the calling process runs as root, the server runs
// as the unprivileged user "postgres" (or "nobody" when there is none), because initdb
// and postgres refuse to run as root; the data folder is owned by that user. Durability
// settings stay at PostgreSQL's defaults unless Options.Fast asks for a throwaway test
// cluster.
package localpg
