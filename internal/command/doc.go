// Package command holds one handler per command of Customer Management: load → rehydrate →
// authorize → decide → append. Handlers take the acting user and request metadata in Meta, so that
// authentication and scope checks plug in through the Authorizer without changing the command path,
// and every event records who acted.
package command
