// Package query answers the API's read requests from the read model in Postgres (see package
// projection), through its views, never its versioned tables.
package query
