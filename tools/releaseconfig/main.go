// Command releaseconfig checks .goreleaser.yml without building goreleaser
// (minutes of CPU on a fresh machine), for CI: the file is loaded with
// goreleaser's own loader, which refuses an unknown or misspelt key and a
// version other than 2, and then held to what the Terraform and OpenTofu
// registries need of a provider release. `make release-check` runs the
// full `goreleaser check` before a release.
//
//	go run . ../../.goreleaser.yml
package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/goreleaser/goreleaser/v2/pkg/config"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: releaseconfig <path to .goreleaser.yml>")
		os.Exit(2)
	}
	p, err := config.Load(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	if problems := registryProblems(p); len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "%s does not make a release the registries take:\n  %s\n", os.Args[1], strings.Join(problems, "\n  "))
		os.Exit(1)
	}
	fmt.Printf("%s: valid (goreleaser v2 schema, registry layout)\n", os.Args[1])
}

// registryProblems lists what keeps a release from the registries' layout:
// a zip per platform named <name>_<version>_<os>_<arch>, the binary named
// <name>_v<version>, a SHA256SUMS file and the registry manifest beside it.
func registryProblems(p config.Project) []string {
	var out []string
	if p.Version != 2 {
		out = append(out, fmt.Sprintf("version is %d, want 2", p.Version))
	}
	if len(p.Builds) == 0 {
		out = append(out, "no build")
	}
	for i, b := range p.Builds {
		if b.Binary != "{{ .ProjectName }}_v{{ .Version }}" {
			out = append(out, fmt.Sprintf("builds[%d].binary is %q, want {{ .ProjectName }}_v{{ .Version }}", i, b.Binary))
		}
		if !slices.Contains(b.Env, "CGO_ENABLED=0") {
			out = append(out, fmt.Sprintf("builds[%d] does not set CGO_ENABLED=0 (the registries' binaries are static)", i))
		}
	}
	if len(p.Archives) == 0 {
		out = append(out, "no archive")
	}
	for i, a := range p.Archives {
		if len(a.Formats) != 1 || a.Formats[0] != "zip" {
			out = append(out, fmt.Sprintf("archives[%d].formats is %v, want [zip]", i, a.Formats))
		}
		if a.NameTemplate != "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}" {
			out = append(out, fmt.Sprintf("archives[%d].name_template is %q, want {{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}", i, a.NameTemplate))
		}
	}
	if c := p.Checksum; c.Disable || c.Algorithm != "sha256" || c.NameTemplate != "{{ .ProjectName }}_{{ .Version }}_SHA256SUMS" {
		out = append(out, "checksum must be sha256, named {{ .ProjectName }}_{{ .Version }}_SHA256SUMS")
	}
	manifest := func(files []config.ExtraFile) bool {
		return slices.ContainsFunc(files, func(f config.ExtraFile) bool {
			return f.Glob == "terraform-registry-manifest.json" && f.NameTemplate == "{{ .ProjectName }}_{{ .Version }}_manifest.json"
		})
	}
	if !manifest(p.Checksum.ExtraFiles) {
		out = append(out, "checksum.extra_files lacks terraform-registry-manifest.json as {{ .ProjectName }}_{{ .Version }}_manifest.json")
	}
	return out
}
