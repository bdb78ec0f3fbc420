// Package client is a Go client of Manhattan's HTTP API (package api): one typed call
// per endpoint, answering the same JSON documents the server sends.
//
// The document types are this package's own copies of the answer types of package query
// rather than those types themselves: package query reads the store (packages
// persistence and pgx), which a program that only talks HTTP should not have to build.
// The statistics of an analysis are package analysis's Result, a plain data package with
// no database code. A test of this package checks that every document type here has
// exactly the JSON fields of its query counterpart, so the two cannot drift apart.
//
// Invariants:
//   - Decimal values stay strings holding the exact decimal, as the server sends them;
//     nothing is rounded through a float.
//   - Every call takes a context; a Client has a default timeout per request as well
//     (WithTimeout), and an *http.Client of one's own may be given (WithHTTPClient).
//   - Every answer but 200 is an *Error carrying the server's status and message;
//     errors.Is(err, ErrNotFound) tells an unknown test or goal, ErrUnauthorized a
//     missing or wrong token, ErrBadRequest a parameter the server refused.
//   - The token, when given (WithToken), is sent as "Authorization: Bearer <token>" on
//     every request, and never over a redirect to another host (net/http drops it).
package client
