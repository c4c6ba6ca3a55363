package markdown

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"sotay/handbook"
)

// Limits on a YAML file (front matter or thesaurus). A real front matter has
// a few hundred nodes; the limits stop a crafted file from costing memory or
// time. Aliases are refused outright: nothing in the content format needs
// them, and expanding them is how a "billion laughs" file explodes.
const (
	maxYAMLNodes = 20000
	maxYAMLDepth = 32
)

// yamlDecoder reads YAML nodes into Go values, recording problems with the
// line of the offending node and the lines of keys.
type yamlDecoder struct {
	invalid  error // ErrFrontMatter or ErrThesaurus
	path     string
	offset   int // file line of YAML line 1, minus 1
	problems []handbook.Problem
	lines    map[string]int
	keyOf    map[*yaml.Node]*yaml.Node // value → its key, for value lines
}

func (d *yamlDecoder) line(n *yaml.Node) int { return n.Line + d.offset }

// at is the node to report a value's type error at: its key, whose line
// is the one an editor looks for (a block list starts on the next line).
func (d *yamlDecoder) at(n *yaml.Node) *yaml.Node {
	if k, ok := d.keyOf[n]; ok {
		return k
	}
	return n
}

func (d *yamlDecoder) problem(sev handbook.Severity, n *yaml.Node, format string, args ...any) {
	d.problems = append(d.problems, handbook.Problem{
		Path: d.path, Line: max(d.line(n), 1), Severity: sev, Message: fmt.Sprintf(format, args...),
	})
}

func (d *yamlDecoder) errorf(n *yaml.Node, format string, args ...any) {
	d.problem(handbook.SeverityError, n, format, args...)
}

func (d *yamlDecoder) warnf(n *yaml.Node, format string, args ...any) {
	d.problem(handbook.SeverityWarning, n, format, args...)
}

// parse decodes src into its root node after checking the limits. An empty
// document gives an empty mapping.
func (d *yamlDecoder) parse(src string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		line, msg := yamlErrorLine(err)
		if line > 0 {
			line += d.offset
		}
		return nil, &Error{Path: d.path, Line: line, Err: fmt.Errorf("%w: %s", d.invalid, msg)}
	}
	if doc.Kind == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Line: 1}, nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	count := 0
	if err := d.checkLimits(root, 0, &count); err != nil {
		return nil, err
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return &yaml.Node{Kind: yaml.MappingNode, Line: root.Line}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Path: d.path, Line: d.line(root),
			Err: fmt.Errorf("%w: want a mapping of keys, got %s", d.invalid, describe(root))}
	}
	return root, nil
}

func (d *yamlDecoder) checkLimits(n *yaml.Node, depth int, count *int) error {
	*count++
	switch {
	case n.Kind == yaml.AliasNode:
		return &Error{Path: d.path, Line: d.line(n), Err: fmt.Errorf("%w: YAML aliases (*%s) are not allowed", d.invalid, n.Value)}
	case *count > maxYAMLNodes:
		return &Error{Path: d.path, Line: d.line(n), Err: fmt.Errorf("%w: more than %d YAML nodes", d.invalid, maxYAMLNodes)}
	case depth > maxYAMLDepth:
		return &Error{Path: d.path, Line: d.line(n), Err: fmt.Errorf("%w: YAML nested deeper than %d levels", d.invalid, maxYAMLDepth)}
	}
	for _, c := range n.Content {
		if err := d.checkLimits(c, depth+1, count); err != nil {
			return err
		}
	}
	return nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// yamlErrorLine splits "yaml: line 3: mapping values are not allowed" into
// 3 and the message.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0, msg
	}
	line, _ := strconv.Atoi(m[1])
	return line, msg[len(m[0]):]
}

// describe names the YAML type of n for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// str reads a string. Any scalar is accepted as written (copies: 1 is the
// string "1", code: 1.001193 keeps its zeros); null is "".
func (d *yamlDecoder) str(key string, n *yaml.Node) string {
	switch {
	case isNull(n):
		return ""
	case n.Kind == yaml.ScalarNode && n.ShortTag() != "!!binary":
		return strings.TrimSpace(n.Value)
	}
	d.errorf(d.at(n), "%s: want a string, got %s", key, describe(n))
	return ""
}

// oneLine reads a one-line string: white space collapsed.
func (d *yamlDecoder) oneLine(key string, n *yaml.Node) string {
	return strings.Join(strings.Fields(d.str(key, n)), " ")
}

// strs reads a list of strings, recording the line of each entry.
func (d *yamlDecoder) strs(key string, n *yaml.Node) []string {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(d.at(n), "%s: want a list of strings, got %s", key, describe(n))
		return nil
	}
	var out []string
	for i, c := range n.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		d.lines[k] = d.line(c)
		if s := d.str(k, c); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// date reads a YYYY-MM-DD date; null is the zero Date.
func (d *yamlDecoder) date(key string, n *yaml.Node) handbook.Date {
	if isNull(n) {
		return handbook.Date{}
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(d.at(n), "%s: want a date YYYY-MM-DD, got %s", key, describe(n))
		return handbook.Date{}
	}
	v := strings.TrimSpace(n.Value)
	t, err := handbook.ParseDate(v)
	if err != nil || len(v) != len("2006-01-02") {
		d.errorf(d.at(n), "%s: invalid date %q, want YYYY-MM-DD", key, n.Value)
		return handbook.Date{}
	}
	return t
}

// boolean reads true or false; null is false.
func (d *yamlDecoder) boolean(key string, n *yaml.Node) bool {
	if isNull(n) {
		return false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		v, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return v
		}
	}
	d.errorf(d.at(n), "%s: want true or false, got %s", key, describe(n))
	return false
}

// mapping calls f for each key of a mapping node, reporting duplicates;
// key names the mapping in messages ("" for the top level).
func (d *yamlDecoder) mapping(key string, n *yaml.Node, f func(k string, kn, v *yaml.Node)) bool {
	prefix := ""
	if key != "" {
		prefix = key + ": "
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(d.at(n), "%swant a mapping, got %s", prefix, describe(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			d.errorf(kn, "%skeys must be strings, got %s", prefix, describe(kn))
			continue
		}
		k := strings.TrimSpace(kn.Value)
		if seen[k] {
			d.errorf(kn, "%sduplicate key %q", prefix, k)
			continue
		}
		seen[k] = true
		if d.keyOf == nil {
			d.keyOf = map[*yaml.Node]*yaml.Node{}
		}
		d.keyOf[v] = kn
		f(k, kn, v)
	}
	return true
}
