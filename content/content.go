// Package content is the built-in knowledge base: the Markdown procedures,
// regulations, technology guides, FAQ and drafting templates, and the
// thesaurus, embedded in the binary so that a commune PC needs nothing else.
package content

import "embed"

// FS holds the content tree; paths are relative to this directory.
//
//go:embed procedures regulations technology faq templates thesaurus.yaml thesaurus
var FS embed.FS
