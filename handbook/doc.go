// Package handbook is the domain root of Sổ tay Nghiệp vụ & Công nghệ: the types
// of the knowledge base (Document, Section, Chunk, Citation), Vietnamese text
// normalisation and folding, the thesaurus, the search request and filters, and
// the small interfaces that adapters implement (KeywordIndex, VectorStore,
// Embedder, LLM, Store).
//
// It imports only the standard library and golang.org/x/text; parsers, indexes,
// HTTP and databases live in subpackages and are wired in cmd/handbook.
package handbook
