package markdown

import (
	"fmt"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"sotay/handbook"
)

// maxGroup bounds a synonym group; real groups have a handful of terms.
const maxGroup = 64

// ParseThesaurus reads one thesaurus file (content/thesaurus.yaml or
// content/thesaurus/*.yaml, docs/CONTENT.md) into th:
//
//	synonyms:            # groups: each member expands to the others
//	  - [căn cước công dân, CCCD, thẻ căn cước]
//	expansions:          # one-way: key → a phrase or a list of phrases
//	  sổ đỏ: [giấy chứng nhận quyền sử dụng đất]
//	  nhập khẩu: đăng ký thường trú
//
// A non-nil error (an *Error) means nothing was added: the file is too
// large, not UTF-8 or not YAML. Problems are entries that were skipped or
// keys that are not known.
func ParseThesaurus(path string, data []byte, th *handbook.Thesaurus) ([]handbook.Problem, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{Path: path, Err: ErrTooLarge}
	}
	if !utf8.Valid(data) {
		return nil, &Error{Path: path, Line: invalidUTF8Line(data), Err: ErrInvalidUTF8}
	}
	d := &yamlDecoder{invalid: ErrThesaurus, path: path, lines: map[string]int{}}
	root, err := d.parse(handbook.Normalize(string(data)))
	if err != nil {
		return nil, err
	}
	var groups [][]string
	type expansion struct {
		key     string
		phrases []string
	}
	var expansions []expansion
	d.mapping("", root, func(k string, kn, v *yaml.Node) {
		switch k {
		case "synonyms":
			if isNull(v) {
				return
			}
			if v.Kind != yaml.SequenceNode {
				d.errorf(d.at(v), "synonyms: want a list of lists, got %s", describe(v))
				return
			}
			for i, g := range v.Content {
				members := d.strs(fmt.Sprintf("synonyms[%d]", i), g)
				switch {
				case len(members) < 2:
					if g.Kind == yaml.SequenceNode {
						d.warnf(g, "synonyms[%d]: a group needs at least two terms", i)
					}
					continue
				case len(members) > maxGroup:
					// Each member expands to all others: n² phrases.
					d.warnf(g, "synonyms[%d]: %d terms, more than %d; split the group", i, len(members), maxGroup)
					continue
				}
				groups = append(groups, members)
			}
		case "expansions":
			if isNull(v) {
				return
			}
			d.mapping("expansions", v, func(key string, _, pv *yaml.Node) {
				var phrases []string
				switch pv.Kind {
				case yaml.SequenceNode:
					phrases = d.strs("expansions."+key, pv)
				case yaml.ScalarNode:
					if s := d.oneLine("expansions."+key, pv); s != "" {
						phrases = []string{s}
					}
				default:
					d.errorf(d.at(pv), "expansions.%s: want a phrase or a list of phrases, got %s", key, describe(pv))
					return
				}
				if len(phrases) == 0 {
					d.warnf(pv, "expansions.%s: nothing to expand to", key)
					return
				}
				expansions = append(expansions, expansion{key, phrases})
			})
		default:
			d.warnf(kn, "unknown key %q (want synonyms or expansions)", k)
		}
	})
	for _, g := range groups {
		th.AddGroup(g...)
	}
	for _, e := range expansions {
		th.Add(e.key, e.phrases...)
	}
	return d.problems, nil
}
