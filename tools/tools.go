//go:build generate

// Package tools pins the development tools of terraform-provider-protector
// in their own module (tools/go.mod), so that the provider's go.mod carries
// none of their dependencies. `go generate` (which sets the `generate` build
// tag) runs the lines below from this directory; `make docs` does the same.
package tools

import (
	// tfplugindocs renders docs/ from templates/, examples/ and the schema.
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)

// Format the examples with OpenTofu (built from source and cached by
// install-engine.sh; no terraform binary needed).
//go:generate ./docs.sh fmt-examples

// Generate the documentation from the schema OpenTofu exports.
//go:generate ./docs.sh generate
