package markdown

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"sotay/handbook"
)

// frontMatter is the typed front matter of one file (docs/CONTENT.md).
type frontMatter struct {
	kind       handbook.Kind
	common     handbook.Document // the keys common to every kind
	procedure  handbook.Procedure
	regulation handbook.Regulation
	template   handbook.Template
	summarised *bool
}

// keyKinds lists the keys that belong to some kinds only; every other known
// key is common to all kinds.
var keyKinds = map[string][]handbook.Kind{
	"code": {handbook.KindProcedure}, "field": {handbook.KindProcedure}, "level": {handbook.KindProcedure},
	"agency": {handbook.KindProcedure}, "where": {handbook.KindProcedure}, "applicants": {handbook.KindProcedure},
	"channels": {handbook.KindProcedure}, "online": {handbook.KindProcedure}, "time_limit": {handbook.KindProcedure},
	"fee": {handbook.KindProcedure}, "fee_basis": {handbook.KindProcedure}, "documents": {handbook.KindProcedure},
	"steps": {handbook.KindProcedure}, "result": {handbook.KindProcedure}, "forms": {handbook.KindProcedure},
	"conditions": {handbook.KindProcedure}, "dvc_url": {handbook.KindProcedure}, "hotline": {handbook.KindProcedure},

	"number": {handbook.KindRegulation}, "short_name": {handbook.KindRegulation}, "issuer": {handbook.KindRegulation},
	"issued": {handbook.KindRegulation}, "expired": {handbook.KindRegulation}, "replaced_by": {handbook.KindRegulation},
	"amended_by": {handbook.KindRegulation}, "summarised": {handbook.KindRegulation},

	"doc_type": {handbook.KindRegulation, handbook.KindTemplate},
	"abbr":     {handbook.KindTemplate}, "fields": {handbook.KindTemplate}, "structure": {handbook.KindTemplate},
}

// Allowed values of enumerated procedure keys (docs/CONTENT.md); others are
// reported as warnings, since the national record sometimes words them
// differently.
var (
	channelValues = []string{"trực tiếp", "bưu chính", "trực tuyến"}
	onlineValues  = []string{"toàn trình", "một phần", "không"}
	levelValues   = []string{"xã", "tỉnh", "trung ương"}
)

// decodeFrontMatter decodes the YAML between the delimiters. It returns an
// *Error when the file cannot be used: a YAML syntax error, a refused
// construct (aliases, too many nodes), a missing title or a bad kind.
func (d *yamlDecoder) decodeFrontMatter(src string) (*frontMatter, error) {
	root, err := d.parse(src)
	if err != nil {
		return nil, err
	}
	fm := &frontMatter{}
	fm.common.Audience = handbook.AudiencePublic
	fm.common.Status = handbook.StatusPublished

	// kind decides which keys apply, so it is read first.
	var kindKey *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "kind" && kindKey == nil {
			kindKey = root.Content[i]
			fm.kind = handbook.Kind(strings.ToLower(d.oneLine("kind", root.Content[i+1])))
		}
	}
	switch {
	case kindKey == nil:
		return nil, &Error{Path: d.path, Line: d.offset, Err: fmt.Errorf("%w: missing kind (one of %s)", ErrFrontMatter, kindList())}
	case !slices.Contains(handbook.Kinds, fm.kind):
		return nil, &Error{Path: d.path, Line: d.line(kindKey), Err: fmt.Errorf("%w: kind %q is not one of %s", ErrFrontMatter, fm.kind, kindList())}
	}

	d.mapping("", root, func(k string, kn, v *yaml.Node) {
		d.lines[k] = d.line(kn)
		if kinds, ok := keyKinds[k]; ok && !slices.Contains(kinds, fm.kind) {
			d.warnf(kn, "key %q applies to kind %s only, not %s; ignored", k, joinKinds(kinds), fm.kind)
			return
		}
		if !fm.set(d, k, v) {
			d.warnf(kn, "unknown key %q", k)
		}
	})
	if fm.common.Title == "" {
		line := d.offset
		if l, ok := d.lines["title"]; ok {
			line = l
		}
		return nil, &Error{Path: d.path, Line: line, Err: fmt.Errorf("%w: missing title", ErrFrontMatter)}
	}
	return fm, nil
}

func kindList() string {
	s := make([]string, len(handbook.Kinds))
	for i, k := range handbook.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func joinKinds(ks []handbook.Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " or ")
}

// set decodes one top-level key; it reports false for an unknown key.
func (fm *frontMatter) set(d *yamlDecoder, k string, v *yaml.Node) bool {
	c, p, r, t := &fm.common, &fm.procedure, &fm.regulation, &fm.template
	switch k {
	case "kind":
		// read first, in decodeFrontMatter
	case "title":
		c.Title = d.oneLine(k, v)
	case "aliases":
		c.Aliases = d.strs(k, v)
	case "tags":
		c.Tags = d.strs(k, v)
	case "summary":
		c.Summary = d.oneLine(k, v)
	case "audience":
		switch a := handbook.Audience(strings.ToLower(d.oneLine(k, v))); a {
		case handbook.AudiencePublic, handbook.AudienceInternal:
			c.Audience = a
		case "":
		default:
			d.errorf(v, "audience: %q is not public or internal", a)
		}
	case "status":
		switch s := handbook.Status(strings.ToLower(d.oneLine(k, v))); s {
		case handbook.StatusPublished, handbook.StatusDraft, handbook.StatusArchived:
			c.Status = s
		case "":
		default:
			d.errorf(v, "status: %q is not published, draft or archived", s)
		}
	case "owner":
		c.Owner = d.oneLine(k, v)
	case "reviewer":
		c.Reviewer = d.oneLine(k, v)
	case "reviewed":
		c.Reviewed = d.date(k, v)
	case "sources":
		c.Sources = d.strs(k, v)
		d.eachScalar(v, func(i int, e *yaml.Node, s string) {
			if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
				d.warnf(e, "sources[%d]: %q is not an http(s) URL", i, s)
			}
		})
	case "effective":
		c.Effective = d.date(k, v)
		r.Effective = c.Effective
	case "expires":
		c.Expires = d.date(k, v)
	case "legal_basis":
		c.LegalBasis = d.references(k, v)
	case "reform_note":
		c.ReformNote = d.str(k, v)

	case "code":
		p.Code = d.oneLine(k, v)
	case "field":
		p.Field = d.oneLine(k, v)
	case "level":
		p.Level = d.oneLine(k, v)
		d.enum(k, v, p.Level, levelValues)
	case "agency":
		p.Agency = d.oneLine(k, v)
	case "where":
		p.Where = d.oneLine(k, v)
	case "applicants":
		p.Applicants = d.strs(k, v)
	case "channels":
		p.Channels = d.strs(k, v)
		d.eachScalar(v, func(i int, e *yaml.Node, s string) {
			d.enum(fmt.Sprintf("channels[%d]", i), e, s, channelValues)
		})
	case "online":
		p.Online = d.oneLine(k, v)
		d.enum(k, v, p.Online, onlineValues)
	case "time_limit":
		p.TimeLimit = d.oneLine(k, v)
	case "fee":
		p.Fee = d.oneLine(k, v)
	case "fee_basis":
		p.FeeBasis = d.oneLine(k, v)
	case "documents":
		p.Documents = d.dossier(k, v)
	case "steps":
		p.Steps = d.strs(k, v)
	case "result":
		p.Result = d.oneLine(k, v)
	case "forms":
		p.Forms = d.strs(k, v)
	case "conditions":
		p.Conditions = d.strs(k, v)
	case "dvc_url":
		p.DVCURL = d.oneLine(k, v)
	case "hotline":
		p.Hotline = d.oneLine(k, v)

	case "number":
		r.Number = d.oneLine(k, v)
	case "doc_type":
		r.DocType = d.oneLine(k, v)
		t.DocType = r.DocType
	case "short_name":
		r.ShortName = d.oneLine(k, v)
	case "issuer":
		r.Issuer = d.oneLine(k, v)
	case "issued":
		r.Issued = d.date(k, v)
	case "expired":
		r.Expired = d.date(k, v)
	case "replaced_by":
		r.ReplacedBy, _ = regulationRef(d.oneLine(k, v))
	case "amended_by":
		r.AmendedBy = d.strs(k, v)
	case "summarised":
		b := d.boolean(k, v)
		fm.summarised = &b

	case "abbr":
		t.Abbr = d.oneLine(k, v)
	case "fields":
		t.Fields = d.templateFields(k, v)
	case "structure":
		t.Structure = d.strs(k, v)
	default:
		return false
	}
	return true
}

// enum warns when value (of key, at node n) is not one of allowed.
func (d *yamlDecoder) enum(key string, n *yaml.Node, value string, allowed []string) {
	if value == "" || slices.Contains(allowed, strings.ToLower(value)) {
		return
	}
	d.warnf(n, "%s: %q is not one of %q", key, value, allowed)
}

// eachScalar calls f with the index, node and trimmed value of each
// non-empty scalar entry of a list node.
func (d *yamlDecoder) eachScalar(n *yaml.Node, f func(i int, e *yaml.Node, s string)) {
	if n.Kind != yaml.SequenceNode {
		return
	}
	for i, e := range n.Content {
		if s := strings.TrimSpace(e.Value); e.Kind == yaml.ScalarNode && s != "" {
			f(i, e, s)
		}
	}
}

// regulationRef normalises a reference to a regulation: the content id
// ("regulations/luat-ho-tich-2014"), also accepted without the
// "regulations/" folder, with ".md" or a leading "/", and with "#anchor".
func regulationRef(s string) (doc, anchor string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	doc, anchor, _ = strings.Cut(s, "#")
	doc = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(doc, "/"), "docs/"), ".md")
	if !strings.Contains(doc, "/") {
		doc = "regulations/" + doc
	}
	return doc, strings.ToLower(strings.TrimSpace(anchor))
}

// references reads legal_basis: a list of {doc, article, note}, or of
// strings "doc#article".
func (d *yamlDecoder) references(key string, n *yaml.Node) []handbook.Reference {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(d.at(n), "%s: want a list of {doc, article, note}, got %s", key, describe(n))
		return nil
	}
	var out []handbook.Reference
	for i, c := range n.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		d.lines[k] = d.line(c)
		var ref handbook.Reference
		if c.Kind == yaml.ScalarNode {
			ref.Doc, ref.Article = regulationRef(d.str(k, c))
		} else {
			var doc string
			ok := d.mapping(k, c, func(sk string, skn, v *yaml.Node) {
				switch sk {
				case "doc":
					doc = d.oneLine(k+".doc", v)
				case "article":
					ref.Article = strings.ToLower(strings.TrimPrefix(d.oneLine(k+".article", v), "#"))
				case "note":
					ref.Note = d.oneLine(k+".note", v)
				default:
					d.warnf(skn, "%s: unknown key %q", k, sk)
				}
			})
			if !ok {
				continue
			}
			var anchor string
			ref.Doc, anchor = regulationRef(doc)
			if ref.Article == "" {
				ref.Article = anchor
			}
		}
		if ref.Doc == "" {
			d.errorf(c, "%s: missing doc", k)
			continue
		}
		out = append(out, ref)
	}
	return out
}

// dossier reads documents: a list of {name, copies, note}, or of names.
func (d *yamlDecoder) dossier(key string, n *yaml.Node) []handbook.DossierItem {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(d.at(n), "%s: want a list of {name, copies, note}, got %s", key, describe(n))
		return nil
	}
	var out []handbook.DossierItem
	for i, c := range n.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		d.lines[k] = d.line(c)
		var it handbook.DossierItem
		if c.Kind == yaml.ScalarNode {
			it.Name = d.oneLine(k, c)
		} else if !d.mapping(k, c, func(sk string, skn, v *yaml.Node) {
			switch sk {
			case "name":
				it.Name = d.oneLine(k+".name", v)
			case "copies":
				it.Copies = d.oneLine(k+".copies", v)
			case "note":
				it.Note = d.oneLine(k+".note", v)
			default:
				d.warnf(skn, "%s: unknown key %q", k, sk)
			}
		}) {
			continue
		}
		if it.Name == "" {
			d.errorf(c, "%s: missing name", k)
			continue
		}
		out = append(out, it)
	}
	return out
}

// templateFields reads a template's fields: {name, label, required,
// example, multi}.
func (d *yamlDecoder) templateFields(key string, n *yaml.Node) []handbook.TemplateField {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(d.at(n), "%s: want a list of {name, label, required, example, multi}, got %s", key, describe(n))
		return nil
	}
	var out []handbook.TemplateField
	for i, c := range n.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		d.lines[k] = d.line(c)
		var f handbook.TemplateField
		if !d.mapping(k, c, func(sk string, skn, v *yaml.Node) {
			switch sk {
			case "name":
				f.Name = d.oneLine(k+".name", v)
			case "label":
				f.Label = d.oneLine(k+".label", v)
			case "required":
				f.Required = d.boolean(k+".required", v)
			case "example":
				f.Example = d.str(k+".example", v)
			case "multi":
				f.Multi = d.boolean(k+".multi", v)
			default:
				d.warnf(skn, "%s: unknown key %q", k, sk)
			}
		}) {
			continue
		}
		if f.Name == "" {
			d.errorf(c, "%s: missing name", k)
			continue
		}
		out = append(out, f)
	}
	return out
}

// apply copies the front matter into doc.
func (fm *frontMatter) apply(doc *handbook.Document) {
	c := &fm.common
	doc.Kind = fm.kind
	doc.Title, doc.Aliases, doc.Tags, doc.Summary = c.Title, c.Aliases, c.Tags, c.Summary
	doc.Audience, doc.Status, doc.Owner, doc.Reviewer = c.Audience, c.Status, c.Owner, c.Reviewer
	doc.Reviewed, doc.Effective, doc.Expires = c.Reviewed, c.Effective, c.Expires
	doc.Sources, doc.LegalBasis, doc.ReformNote = c.Sources, c.LegalBasis, c.ReformNote
	switch fm.kind {
	case handbook.KindProcedure:
		p := fm.procedure
		doc.Procedure = &p
	case handbook.KindRegulation:
		r := fm.regulation
		// Regulations are summarised in our words unless a file says
		// otherwise (docs/CONTENT.md).
		r.Summarised = fm.summarised == nil || *fm.summarised
		doc.Regulation = &r
	case handbook.KindTemplate:
		t := fm.template
		doc.Template = &t
	}
}
