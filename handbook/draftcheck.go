package handbook

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// errNoDocument is returned by ParseDraftText for text without any
// recognisable component.
var errNoDocument = errors.New("no document components found")

// Finding is one problem the validator found in a draft. Message is
// Vietnamese, for the drafter; Rule names the provision it comes from.
type Finding struct {
	Rule      string    `json:"rule"`
	Component Component `json:"component"`
	Severity  Severity  `json:"severity"`
	Message   string    `json:"message"`
}

func (f Finding) String() string {
	if f.Component == "" {
		return fmt.Sprintf("%s: %s (%s)", f.Severity, f.Message, f.Rule)
	}
	return fmt.Sprintf("%s: %s: %s (%s)", f.Severity, f.Component.Label(), f.Message, f.Rule)
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == SeverityError })
}

// Rules the validator cites.
const (
	RuleTypes        = "Điều 7 Nghị định 30/2020/NĐ-CP"
	RuleComponents   = "Điều 8 Nghị định 30/2020/NĐ-CP"
	RulePageSetup    = "Phụ lục I, Phần I, mục I Nghị định 30/2020/NĐ-CP"
	RuleNational     = "Phụ lục I, Phần I, mục II.1 Nghị định 30/2020/NĐ-CP"
	RuleIssuer       = "Phụ lục I, Phần I, mục II.2 Nghị định 30/2020/NĐ-CP"
	RuleNumber       = "Phụ lục I, Phần I, mục II.3 Nghị định 30/2020/NĐ-CP"
	RulePlaceDate    = "Phụ lục I, Phần I, mục II.4 Nghị định 30/2020/NĐ-CP"
	RuleTitle        = "Phụ lục I, Phần I, mục II.5 Nghị định 30/2020/NĐ-CP"
	RuleBases        = "Phụ lục I, Phần I, mục II.6.a Nghị định 30/2020/NĐ-CP"
	RuleCitation     = "Phụ lục I, Phần I, mục II.6.b Nghị định 30/2020/NĐ-CP"
	RuleBody         = "Phụ lục I, Phần I, mục II.6 Nghị định 30/2020/NĐ-CP"
	RuleSignature    = "Phụ lục I, Phần I, mục II.7 Nghị định 30/2020/NĐ-CP"
	RuleRecipients   = "Phụ lục I, Phần I, mục II.9 Nghị định 30/2020/NĐ-CP"
	RuleLayout       = "Phụ lục I, Phần I, mục IV Nghị định 30/2020/NĐ-CP"
	RuleAbbreviation = "Phụ lục III, mục I Nghị định 30/2020/NĐ-CP"
	RuleSample       = "Phụ lục III, mục II Nghị định 30/2020/NĐ-CP"
	RuleTemplate     = "Trường bắt buộc của mẫu văn bản"
)

var componentRule = map[Component]string{
	ComponentSuperior: RuleIssuer, ComponentIssuer: RuleIssuer, ComponentNational: RuleNational,
	ComponentNumber: RuleNumber, ComponentPlaceDate: RulePlaceDate, ComponentTitle: RuleTitle,
	ComponentAuthority: RuleSample, ComponentAddressee: RuleRecipients, ComponentBases: RuleBases,
	ComponentProposal: RuleBases, ComponentBody: RuleBody, ComponentSignature: RuleSignature,
	ComponentRecipients: RuleRecipients,
}

// adminDocTypes are the 29 types of Điều 7 with the abbreviations of Phụ lục
// III, mục I. Công văn and thư công have none.
var adminDocTypes = []struct{ Name, Abbr string }{
	{"Nghị quyết", "NQ"}, {"Quyết định", "QĐ"}, {"Chỉ thị", "CT"}, {"Quy chế", "QC"},
	{"Quy định", "QyĐ"}, {"Thông cáo", "TC"}, {"Thông báo", "TB"}, {"Hướng dẫn", "HD"},
	{"Chương trình", "CTr"}, {"Kế hoạch", "KH"}, {"Phương án", "PA"}, {"Đề án", "ĐA"},
	{"Dự án", "DA"}, {"Báo cáo", "BC"}, {"Biên bản", "BB"}, {"Tờ trình", "TTr"},
	{"Hợp đồng", "HĐ"}, {"Công văn", ""}, {"Công điện", "CĐ"}, {"Bản ghi nhớ", "BGN"},
	{"Bản thỏa thuận", "BTT"}, {"Giấy ủy quyền", "GUQ"}, {"Giấy mời", "GM"},
	{"Giấy giới thiệu", "GGT"}, {"Giấy nghỉ phép", "GNP"}, {"Phiếu gửi", "PG"},
	{"Phiếu chuyển", "PC"}, {"Phiếu báo", "PB"}, {"Thư công", ""},
}

// practiceDocTypes are types used in commune practice that Điều 7 does not
// list; their abbreviation is customary, not set by Phụ lục III.
var practiceDocTypes = []struct{ Name, Abbr string }{
	{"Giấy xác nhận", "GXN"},
}

// AdminDocType returns the Phụ lục III abbreviation of one of the 29 types of
// administrative documents (Điều 7 Nghị định 30/2020/NĐ-CP); ok is false for
// other names. Công văn has an empty abbreviation.
func AdminDocType(name string) (abbr string, ok bool) {
	f := Fold(NormalizeLine(name))
	for _, t := range adminDocTypes {
		if Fold(t.Name) == f {
			return t.Abbr, true
		}
	}
	return "", false
}

func isTypeAbbr(s string) bool {
	for _, t := range adminDocTypes {
		if t.Abbr != "" && t.Abbr == s {
			return true
		}
	}
	return false
}

// typeTitle returns the type whose upper-case name is l ("QUYẾT ĐỊNH").
func typeTitle(l string) (string, bool) {
	if !isUpperLine(l) {
		return "", false
	}
	f := Fold(l)
	for _, list := range [][]struct{ Name, Abbr string }{adminDocTypes, practiceDocTypes} {
		for _, t := range list {
			if Fold(t.Name) == f {
				return t.Name, true
			}
		}
	}
	return "", false
}

func expectedAbbr(docType string) (abbr string, inTable bool) {
	if a, ok := AdminDocType(docType); ok {
		return a, true
	}
	f := Fold(docType)
	for _, t := range practiceDocTypes {
		if Fold(t.Name) == f {
			return t.Abbr, false
		}
	}
	return "", false
}

// isUpperLine reports whether s has letters and all of them are capitals.
func isUpperLine(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			if unicode.IsLower(r) {
				return false
			}
			letters++
		}
	}
	return letters >= 2
}

var (
	numberLineRE  = regexp.MustCompile(`^(?:Số|SỐ|số)\s*:?\s*(?:\d|\[)`)
	strictNumRE   = regexp.MustCompile(`^Số: \S+/\S+$`)
	placeDateRE   = regexp.MustCompile(`^([^,:]{1,60}), ((?:ngày|Ngày)[^,]{0,40}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\[CẦN BỔ SUNG: [^\]]*\])$`)
	docDateRE     = regexp.MustCompile(`^ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})$`)
	articleRE     = regexp.MustCompile(`^(Điều (\d+)[a-z]?\.)\s*(.*)$`)
	romanRE       = regexp.MustCompile(`^[IVXLC]+\.\s`)
	authorityRE   = regexp.MustCompile(`^(T/M|TM|K/T|KT|T/L|TL|TUQ|Q)(\.?)(\s|$)`)
	academicRE    = regexp.MustCompile(`^(?:GS|PGS|TS|TSKH|ThS|Th\.S|KS|BS|CN|NCS)\.?\s`)
	lawNumberRE   = regexp.MustCompile(`^(?:Luật|Bộ luật|Pháp lệnh)[^;]*? số \d`)
	basisAnchorRE = regexp.MustCompile(`^Căn cứ (?:(?:điểm [a-zđ]\) ?)?(?:khoản \d+ )?Điều \d+[a-z]? (?:của )?)?(.*)$`)
	personalTitle = []string{"chu tich", "pho chu tich", "giam doc", "pho giam doc", "truong", "pho truong", "bo truong", "thu truong", "chanh van phong"}
)

func isNationalLine(l string) bool {
	return Fold(l) == Fold(NationalName)
}

func isMottoLine(l string) bool {
	squash := func(s string) string { return strings.NewReplacer(" ", "", "–", "-", "—", "-").Replace(Fold(s)) }
	return squash(l) == squash(NationalMotto)
}

// ParseDraftText reads a document back from text: the output of Text, or
// the paragraphs of a .docx (docx.ReadText). It records the order in which
// components appear so that Check can report them out of order. Text with
// no recognisable component gives an Invalid error.
func ParseDraftText(text string) (*Draft, error) {
	var ls []string
	for _, l := range strings.Split(Normalize(text), "\n") {
		if l = NormalizeLine(l); l != "" {
			ls = append(ls, l)
		}
	}
	d := &Draft{}
	mark := func(c Component) {
		if n := len(d.Order); n == 0 || d.Order[n-1] != c {
			d.Order = append(d.Order, c)
		}
	}
	const (
		stHeader = iota
		stTitle
		stFront
		stBody
		stEnd
	)
	st := stHeader
	dash := func(s string) bool { return strings.HasPrefix(s, "- ") || s == "-" }
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		f := Fold(l)
		switch {
		case isNationalLine(l):
			d.National = l
			mark(ComponentNational)
		case isMottoLine(l):
			d.Motto = l
			mark(ComponentNational)
		case d.Number == "" && (st <= stTitle && numberLineRE.MatchString(l) || strictNumRE.MatchString(placeholderRE.ReplaceAllString(l, "X"))):
			d.Number = l
			mark(ComponentNumber)
		case d.PlaceDate == "" && st <= stTitle && placeDateRE.MatchString(l):
			d.PlaceDate = l
			mark(ComponentPlaceDate)
		case d.Subject == "" && st <= stTitle && strings.HasPrefix(f, "v/v"):
			d.Subject = l
			d.DocType = "Công văn"
			mark(ComponentTitle)
			st = stTitle
		case d.Title == "" && st <= stTitle && func() bool { _, ok := typeTitle(l); return ok }():
			name, _ := typeTitle(l)
			d.Title, d.DocType = l, name
			mark(ComponentTitle)
			st = stTitle
			if a, _ := expectedAbbr(name); a != "GGT" && a != "GNP" && i+1 < len(ls) && subjectCandidate(ls[i+1]) {
				d.Subject = ls[i+1]
				i++
			}
		case st == stHeader && isUpperLine(l) && !authorityRE.MatchString(l):
			d.Issuer = append(d.Issuer, l)
			mark(ComponentIssuer)
		case st == stTitle && d.Authority == "" && isUpperLine(l) && !authorityRE.MatchString(l):
			d.Authority = l
			mark(ComponentAuthority)
		case st <= stFront && strings.HasPrefix(f, "kinh gui"):
			mark(ComponentAddressee)
			st = stFront
			if _, rest, _ := strings.Cut(l, ":"); strings.TrimSpace(rest) != "" {
				d.To = append(d.To, strings.TrimSpace(rest))
			}
			for i+1 < len(ls) && dash(ls[i+1]) {
				i++
				d.To = append(d.To, strings.TrimSpace(strings.TrimPrefix(ls[i], "-")))
			}
		case st <= stFront && strings.HasPrefix(f, "can cu "):
			d.Bases = append(d.Bases, Basis{Text: l})
			mark(ComponentBases)
			st = stFront
		case st <= stFront && (strings.HasPrefix(f, "theo de nghi") || strings.HasPrefix(f, "xet de nghi")):
			d.Proposal = l
			mark(ComponentProposal)
			st = stFront
		case strings.HasPrefix(f, "noi nhan"):
			mark(ComponentRecipients)
			for i+1 < len(ls) && dash(ls[i+1]) {
				i++
				d.Recipients = append(d.Recipients, strings.TrimSpace(strings.TrimPrefix(ls[i], "-")))
			}
			st = stEnd
		case isUpperLine(l) && !romanRE.MatchString(l) && !strings.HasSuffix(l, ":") && (st >= stBody || authorityRE.MatchString(l)):
			mark(ComponentSignature)
			for i < len(ls) && isUpperLine(ls[i]) && !romanRE.MatchString(ls[i]) {
				var sig Signature
				for i < len(ls) && isUpperLine(ls[i]) {
					sig.Lines = append(sig.Lines, ls[i])
					i++
				}
				if i < len(ls) && !dash(ls[i]) && !strings.HasPrefix(Fold(ls[i]), "noi nhan") {
					sig.Name = ls[i]
					i++
				}
				d.Signatures = append(d.Signatures, sig)
			}
			i--
			st = stEnd
		default:
			d.Body = append(d.Body, parseParagraph(l))
			mark(ComponentBody)
			st = max(st, stBody)
		}
	}
	if len(d.Order) == 0 {
		return nil, Errorf(Invalid, "Không nhận ra thành phần nào của văn bản hành chính.", "parse draft: %w", errNoDocument)
	}
	if d.DocType != "" {
		d.Abbr, _ = expectedAbbr(d.DocType)
	}
	if m := placeDateRE.FindStringSubmatch(d.PlaceDate); m != nil {
		if dm := docDateRE.FindStringSubmatch(m[2]); dm != nil {
			day, _ := strconv.Atoi(dm[1])
			month, _ := strconv.Atoi(dm[2])
			year, _ := strconv.Atoi(dm[3])
			if t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC); t.Day() == day {
				d.Date = Date{t}
			}
		}
	}
	d.Placeholders = collectPlaceholders(d)
	return d, nil
}

func subjectCandidate(l string) bool {
	f := Fold(l)
	if isUpperLine(l) || strings.HasSuffix(l, ":") {
		return false
	}
	for _, p := range []string{"kinh gui", "can cu ", "theo de nghi", "xet de nghi", "noi nhan", "dieu "} {
		if strings.HasPrefix(f, p) {
			return false
		}
	}
	return true
}

func parseParagraph(l string) Paragraph {
	if m := articleRE.FindStringSubmatch(l); m != nil {
		return Paragraph{Kind: ParagraphArticle, Lead: m[1], Text: m[3]}
	}
	if romanRE.MatchString(l) && isUpperLine(l) {
		return Paragraph{Kind: ParagraphHeading, Text: l}
	}
	if isUpperLine(l) && strings.HasSuffix(l, ":") {
		return Paragraph{Kind: ParagraphCentered, Text: l}
	}
	return Paragraph{Kind: ParagraphText, Text: l}
}

// Check validates a draft against Nghị định 30/2020/NĐ-CP and the knowledge
// base: components present and in order, số and ký hiệu, abbreviation of the
// type, date format, căn cứ that exist and are in force on at (the document
// date when at is zero), signature, nơi nhận, required template fields and
// remaining placeholders.
func (dr *Drafter) Check(d *Draft, at Date) []Finding {
	var fs []Finding
	add := func(rule string, c Component, sev Severity, format string, args ...any) {
		fs = append(fs, Finding{Rule: rule, Component: c, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	lib := dr.library()
	if !at.IsSet() {
		at = d.Date
	}
	if !at.IsSet() {
		at = Today(dr.now())
	}
	var tpl *Document
	if lib != nil && d.Template != "" {
		if t, ok := lib.Doc(d.Template); ok && t.Template != nil {
			tpl = t
		}
	}
	docType := d.DocType
	if docType == "" && tpl != nil {
		docType = tpl.Template.DocType
	}
	isCV := Fold(docType) == "cong van"
	abbr, inTable := expectedAbbr(docType)
	if !inTable && docType != "" {
		if abbr == "" {
			abbr = d.Abbr
		}
		add(RuleTypes, ComponentTitle, SeverityWarning,
			"«%s» không thuộc 29 loại văn bản hành chính tại Điều 7; chữ viết tắt «%s» theo thực tiễn, Phụ lục III không quy định.", docType, abbr)
	} else if inTable && d.Abbr != "" && d.Abbr != abbr {
		add(RuleAbbreviation, ComponentNumber, SeverityError, "Chữ viết tắt của «%s» là «%s», không phải «%s».", docType, abbr, d.Abbr)
	}

	// 1. Quốc hiệu và Tiêu ngữ.
	switch {
	case d.National == "":
		add(RuleComponents, ComponentNational, SeverityError, "Thiếu Quốc hiệu «%s».", NationalName)
	case !isNationalLine(d.National) || !isUpperLine(d.National):
		add(RuleNational, ComponentNational, SeverityError, "Quốc hiệu phải là «%s», chữ in hoa.", NationalName)
	}
	switch {
	case d.Motto == "":
		add(RuleComponents, ComponentNational, SeverityError, "Thiếu Tiêu ngữ «%s».", NationalMotto)
	case d.Motto != NationalMotto:
		add(RuleNational, ComponentNational, SeverityError,
			"Tiêu ngữ phải là «%s»: chữ cái đầu các cụm từ viết hoa, giữa các cụm từ có gạch nối (-) và dấu cách.", NationalMotto)
	}

	// 2. Tên cơ quan ban hành.
	if len(d.Issuer) == 0 {
		add(RuleComponents, ComponentIssuer, SeverityError, "Thiếu tên cơ quan, tổ chức ban hành văn bản.")
	}
	for _, l := range append(slices.Clone(d.Superior), d.Issuer...) {
		if !isUpperLine(l) {
			add(RuleIssuer, ComponentIssuer, SeverityError, "Tên cơ quan «%s» phải viết bằng chữ in hoa.", l)
		}
	}

	// 3. Số, ký hiệu and the abbreviation of the type.
	if d.Number == "" {
		add(RuleComponents, ComponentNumber, SeverityError, "Thiếu số, ký hiệu của văn bản.")
	} else {
		fs = append(fs, checkNumber(d.Number, docType, abbr, isCV)...)
	}

	// 4. Địa danh và thời gian.
	if d.PlaceDate == "" {
		if abbr != "BB" { // Mẫu 1.9 puts the time of a biên bản in its body
			add(RuleComponents, ComponentPlaceDate, SeverityError, "Thiếu địa danh và thời gian ban hành văn bản.")
		}
	} else {
		fs = append(fs, checkPlaceDate(d.PlaceDate)...)
	}

	// 5. Tên loại và trích yếu.
	if isCV {
		if d.Title != "" {
			add(RuleTitle, ComponentTitle, SeverityWarning, "Công văn không ghi tên loại văn bản.")
		}
		switch {
		case d.Subject == "":
			add(RuleTitle, ComponentTitle, SeverityError, "Công văn phải có trích yếu nội dung sau chữ «V/v».")
		case !strings.HasPrefix(d.Subject, "V/v "):
			add(RuleTitle, ComponentTitle, SeverityError, "Trích yếu của công văn bắt đầu bằng «V/v ».")
		}
	} else if docType != "" {
		switch {
		case d.Title == "":
			add(RuleComponents, ComponentTitle, SeverityError, "Thiếu tên loại văn bản «%s».", strings.ToUpper(docType))
		case !isUpperLine(d.Title):
			add(RuleTitle, ComponentTitle, SeverityError, "Tên loại văn bản viết bằng chữ in hoa: «%s».", strings.ToUpper(d.Title))
		case Fold(d.Title) != Fold(docType):
			add(RuleTitle, ComponentTitle, SeverityError, "Tên loại «%s» không khớp với loại văn bản «%s».", d.Title, docType)
		}
		if d.Subject == "" && abbr != "GGT" && abbr != "GNP" && abbr != "GXN" {
			add(RuleTitle, ComponentTitle, SeverityError, "Thiếu trích yếu nội dung văn bản dưới tên loại.")
		}
	}
	if abbr == "QĐ" {
		switch {
		case d.Authority == "":
			add(RuleSample, ComponentAuthority, SeverityError, "Quyết định phải ghi thẩm quyền ban hành (tên cơ quan hoặc chức vụ người đứng đầu) dưới trích yếu (Mẫu 1.2).")
		case !isUpperLine(d.Authority):
			add(RuleSample, ComponentAuthority, SeverityError, "Thẩm quyền ban hành viết bằng chữ in hoa.")
		}
	}

	// Kính gửi.
	needTo := isCV
	if tpl != nil && slices.Contains(tpl.Template.Structure, string(ComponentAddressee)) {
		for _, f := range tpl.Template.Fields {
			if f.Name == "kinh_gui" && f.Required {
				needTo = true
			}
		}
	}
	if needTo && len(d.To) == 0 {
		add(RuleRecipients, ComponentAddressee, SeverityError, "%s phải có phần «Kính gửi:» nêu nơi trực tiếp giải quyết.", upperInitial(docType))
	}
	if len(d.To) > 1 {
		if msg := listPunctuation(d.To); msg != "" {
			add(RuleRecipients, ComponentAddressee, SeverityError, "Kính gửi: %s", msg)
		}
	}

	// 6. Căn cứ.
	fs = append(fs, dr.checkBases(lib, d, at)...)
	if abbr == "QĐ" && len(d.Bases) == 0 {
		add(RuleSample, ComponentBases, SeverityError, "Quyết định phải nêu căn cứ ban hành (Mẫu 1.2).")
	}

	// Nội dung.
	if len(d.Body) == 0 {
		add(RuleComponents, ComponentBody, SeverityError, "Thiếu nội dung văn bản.")
	} else {
		if abbr == "QĐ" && !slices.ContainsFunc(d.Body, func(p Paragraph) bool { return p.Text == "QUYẾT ĐỊNH:" }) {
			add(RuleSample, ComponentBody, SeverityWarning, "Trước Điều 1 của quyết định có dòng «QUYẾT ĐỊNH:» (Mẫu 1.2).")
		}
		want := 1
		for _, p := range d.Body {
			if m := articleRE.FindStringSubmatch(p.String()); m != nil {
				if n, _ := strconv.Atoi(m[2]); n != want {
					add(RuleBody, ComponentBody, SeverityError, "Các điều đánh số liên tục: sau Điều %d là Điều %d, không phải «%s».", want-1, want, m[1])
					want = n
				}
				want++
			}
		}
		if last := d.Body[len(d.Body)-1].String(); !strings.HasSuffix(last, "./.") && !strings.HasSuffix(last, "]") {
			add(RuleSample, ComponentBody, SeverityWarning, "Phần nội dung kết thúc bằng dấu «./.».")
		}
		for _, p := range d.Body {
			for _, num := range docNumberRE.FindAllString(p.String(), -1) {
				if reg := lookupRegulation(lib, num); reg != nil {
					if v := reg.ValidityAt(at); v != InForce {
						add(RuleCitation, ComponentBody, SeverityWarning, "Nội dung viện dẫn «%s» %s vào ngày %s.", reg.CitationName(), validityWords(v), at.Vietnamese())
					}
				}
			}
		}
	}

	// 7. Chức vụ, họ tên người ký.
	if len(d.Signatures) == 0 {
		add(RuleComponents, ComponentSignature, SeverityError, "Thiếu quyền hạn, chức vụ, họ tên người ký.")
	}
	for _, s := range d.Signatures {
		fs = append(fs, checkSignature(s)...)
	}

	// 9. Nơi nhận.
	if len(d.Recipients) == 0 {
		add(RuleComponents, ComponentRecipients, SeverityError, "Thiếu phần «Nơi nhận:».")
	} else {
		if msg := listPunctuation(d.Recipients); msg != "" {
			add(RuleRecipients, ComponentRecipients, SeverityError, "Nơi nhận: %s", msg)
		}
		last := d.Recipients[len(d.Recipients)-1]
		if !strings.HasPrefix(last, "Lưu: VT") && !strings.HasPrefix(last, "Lưu: Văn thư") {
			add(RuleRecipients, ComponentRecipients, SeverityError, "Dòng cuối của nơi nhận là «Lưu: VT, <đơn vị soạn thảo>.».")
		}
		if len(d.To) > 0 && !strings.HasPrefix(Fold(d.Recipients[0]), "nhu tren") {
			add(RuleRecipients, ComponentRecipients, SeverityWarning, "Văn bản có «Kính gửi» thì nơi nhận bắt đầu bằng «Như trên;».")
		}
	}

	// Order of components.
	maxRank, maxComp := 0, Component("")
	reported := map[Component]bool{}
	for _, c := range d.Order {
		r := componentRank[c]
		if r < maxRank && !reported[c] {
			reported[c] = true
			add(RuleLayout, c, SeverityError, "«%s» phải đứng trước «%s» (thứ tự thành phần thể thức theo Điều 8).", c.Label(), maxComp.Label())
		}
		if r > maxRank {
			maxRank, maxComp = r, c
		}
	}

	// Template: required fields and structure.
	skip := map[string]bool{}
	if tpl != nil {
		for _, f := range tpl.Template.Fields {
			if f.Required && d.Fields != nil && strings.TrimSpace(d.Fields[f.Name]) == "" {
				comp := ComponentBody
				switch f.Name {
				case "trich_yeu":
					comp = ComponentTitle
				case "kinh_gui":
					comp = ComponentAddressee
				case "de_nghi":
					comp = ComponentProposal
				}
				add(RuleTemplate, comp, SeverityError, "Trường bắt buộc «%s» của mẫu «%s» chưa được điền.", f.Label, tpl.Template.DocType)
				skip[Placeholder(lowerInitial(f.Label))] = true
			}
		}
		for _, s := range tpl.Template.Structure {
			c := Component(s)
			missing := false
			switch c {
			case ComponentAuthority:
				missing = d.Authority == ""
			case ComponentProposal:
				missing = d.Proposal == "" && requiredField(tpl.Template, "de_nghi")
			}
			if missing {
				add(RuleSample, c, SeverityError, "Mẫu «%s» có phần «%s» nhưng văn bản thiếu phần này.", tpl.Template.DocType, c.Label())
			}
		}
	}

	// Placeholders: facts the drafter still has to supply.
	seen := map[string]bool{}
	for _, l := range d.lines() {
		for _, p := range Placeholders(l.text) {
			key := string(l.comp) + p
			if seen[key] || skip[p] {
				continue
			}
			seen[key] = true
			add(componentRule[l.comp], l.comp, SeverityWarning, "Còn thiếu «%s»: cần bổ sung trước khi trình ký.",
				strings.TrimSuffix(strings.TrimPrefix(p, PlaceholderPrefix), "]"))
		}
	}
	return fs
}

func requiredField(t *Template, name string) bool {
	for _, f := range t.Fields {
		if f.Name == name {
			return f.Required
		}
	}
	return false
}

func validityWords(v Validity) string {
	if v == NotYet {
		return "chưa có hiệu lực"
	}
	return "đã hết hiệu lực"
}

// checkNumber checks "Số: 15/QĐ-UBND" (Phụ lục I, Phần I, mục II.3) and the
// type abbreviation in it (Phụ lục III, mục I).
func checkNumber(line, docType, abbr string, isCV bool) []Finding {
	var fs []Finding
	add := func(rule string, sev Severity, format string, args ...any) {
		fs = append(fs, Finding{Rule: rule, Component: ComponentNumber, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	const ph = "\x00"
	s := placeholderRE.ReplaceAllString(line, ph)
	if !strings.HasPrefix(s, "Số: ") {
		add(RuleNumber, SeverityError, "Viết «Số:» (chữ «Số» in thường, sau có dấu hai chấm) trước số văn bản: «%s».", line)
		_, s, _ = strings.Cut(s, ":")
		if s == "" {
			return fs
		}
	} else {
		s = s[len("Số: "):]
	}
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, " \t") {
		add(RuleNumber, SeverityError, "Số và ký hiệu viết liền, không có dấu cách quanh «/» và «-».")
		s = strings.NewReplacer(" ", "", "\t", "").Replace(s)
	}
	num, sym, ok := strings.Cut(s, "/")
	if !ok {
		add(RuleNumber, SeverityError, "Giữa số và ký hiệu văn bản có dấu gạch chéo (/).")
		return fs
	}
	if num != ph {
		n, err := strconv.Atoi(num)
		switch {
		case err != nil || n <= 0:
			add(RuleNumber, SeverityError, "Số của văn bản ghi bằng chữ số Ả Rập: «%s».", num)
		case n < 10 && len(num) < 2:
			add(RuleNumber, SeverityError, "Số nhỏ hơn 10 phải ghi thêm số 0 phía trước (0%d, không phải %s).", n, num)
		}
	}
	groups := strings.Split(sym, "-")
	for _, g := range groups {
		switch {
		case g == "":
			add(RuleNumber, SeverityError, "Ký hiệu «%s» có nhóm chữ viết tắt trống.", sym)
		case strings.Contains(g, ph) || isTypeAbbr(g):
		case g != strings.ToUpper(g):
			add(RuleNumber, SeverityError, "Ký hiệu văn bản viết bằng chữ in hoa: «%s».", g)
		}
	}
	first := groups[0]
	switch {
	case isCV:
		if isTypeAbbr(first) {
			add(RuleAbbreviation, SeverityError, "Ký hiệu của công văn không có chữ viết tắt tên loại («%s»); viết «Số: …/<cơ quan>-<đơn vị soạn thảo>».", first)
		} else if len(groups) < 2 {
			add(RuleNumber, SeverityWarning, "Ký hiệu công văn gồm chữ viết tắt tên cơ quan và tên đơn vị soạn thảo hoặc lĩnh vực (ví dụ UBND-VP).")
		}
	case abbr != "":
		if first != abbr && !strings.Contains(first, ph) {
			add(RuleAbbreviation, SeverityError, "Ký hiệu của %s bắt đầu bằng «%s», không phải «%s».", lowerInitial(docType), abbr, first)
		}
		if len(groups) < 2 {
			add(RuleNumber, SeverityError, "Ký hiệu gồm chữ viết tắt tên loại và tên cơ quan ban hành (ví dụ %s-UBND).", abbr)
		}
	}
	return fs
}

// checkPlaceDate checks "Lâm Viên, ngày 05 tháng 3 năm 2026" (Phụ lục I,
// Phần I, mục II.4).
func checkPlaceDate(s string) []Finding {
	var fs []Finding
	add := func(format string, args ...any) {
		fs = append(fs, Finding{Rule: RulePlaceDate, Component: ComponentPlaceDate, Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
	}
	m := placeDateRE.FindStringSubmatch(s)
	if m == nil {
		add("Địa danh và thời gian viết «<Địa danh>, ngày … tháng … năm …»: «%s».", s)
		return fs
	}
	place, when := m[1], m[2]
	if r := []rune(place)[0]; r != '[' && !unicode.IsUpper(r) {
		add("Chữ cái đầu của địa danh phải viết hoa: «%s».", place)
	}
	if strings.HasPrefix(when, PlaceholderPrefix) {
		return fs
	}
	dm := docDateRE.FindStringSubmatch(when)
	if dm == nil {
		add("Thời gian ban hành viết đầy đủ «ngày … tháng … năm …» bằng chữ số Ả Rập: «%s».", when)
		return fs
	}
	day, _ := strconv.Atoi(dm[1])
	month, _ := strconv.Atoi(dm[2])
	year, _ := strconv.Atoi(dm[3])
	if t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC); t.Day() != day || int(t.Month()) != month || day == 0 {
		add("Ngày %s tháng %s năm %s không có thật.", dm[1], dm[2], dm[3])
		return fs
	}
	if day < 10 && len(dm[1]) < 2 {
		add("Ngày nhỏ hơn 10 phải ghi thêm số 0 phía trước (ngày 0%d).", day)
	}
	switch {
	case month <= 2 && len(dm[2]) < 2:
		add("Tháng 1 và tháng 2 phải ghi thêm số 0 phía trước (tháng 0%d).", month)
	case month > 2 && strings.HasPrefix(dm[2], "0"):
		add("Chỉ tháng 1 và tháng 2 ghi thêm số 0; viết «tháng %d».", month)
	}
	return fs
}

// listPunctuation checks a Kính gửi or nơi nhận list: every item ends with
// ";" and the last with "." (Phụ lục I, Phần I, mục II.9.d).
func listPunctuation(items []string) string {
	for i, it := range items {
		last := i == len(items)-1
		if last && !strings.HasSuffix(it, ".") {
			return fmt.Sprintf("dòng cuối kết thúc bằng dấu chấm (.): «%s».", it)
		}
		if !last && !strings.HasSuffix(it, ";") {
			return fmt.Sprintf("mỗi dòng kết thúc bằng dấu chấm phẩy (;): «%s».", it)
		}
	}
	return ""
}

// checkSignature checks one signature block (Phụ lục I, Phần I, mục II.7).
func checkSignature(s Signature) []Finding {
	var fs []Finding
	add := func(sev Severity, format string, args ...any) {
		fs = append(fs, Finding{Rule: RuleSignature, Component: ComponentSignature, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	if len(s.Lines) == 0 {
		add(SeverityError, "Thiếu quyền hạn, chức vụ của người ký.")
	}
	for i, l := range s.Lines {
		if !isUpperLine(l) {
			add(SeverityError, "Quyền hạn, chức vụ của người ký viết bằng chữ in hoa: «%s».", l)
		}
		m := authorityRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		prefix := m[1] + m[2]
		if !slices.Contains(Authorities, prefix) {
			add(SeverityError, "Viết tắt quyền hạn ký là «TM.», «KT.», «Q.», «TL.» hoặc «TUQ.», không phải «%s».", strings.TrimSpace(m[0]))
			continue
		}
		rest := Fold(strings.TrimSpace(l[len(m[0]):]))
		if prefix == AuthorityOnBehalf && slices.Contains(personalTitle, rest) {
			add(SeverityWarning, "«TM.» đặt trước tên tập thể lãnh đạo hoặc tên cơ quan (ví dụ TM. ỦY BAN NHÂN DÂN), không đặt trước chức vụ «%s».", l[len(m[0]):])
		}
		if prefix == AuthorityDeputy && i == len(s.Lines)-1 {
			add(SeverityError, "Sau dòng «%s» ghi chức vụ của cấp phó ký thay.", l)
		}
	}
	name := s.Name
	switch {
	case name == "":
		add(SeverityError, "Thiếu họ tên người ký.")
	case strings.HasPrefix(name, PlaceholderPrefix):
	case academicRE.MatchString(name):
		add(SeverityError, "Không ghi học hàm, học vị trước họ tên người ký: «%s».", name)
	case isUpperLine(name):
		add(SeverityWarning, "Họ tên người ký viết chữ in thường, chữ cái đầu viết hoa: «%s».", name)
	}
	return fs
}

// checkBases checks the căn cứ lines: wording and punctuation (Phụ lục I,
// Phần I, mục II.6.a–b) and that each regulation exists in the knowledge
// base and is in force on at.
func (dr *Drafter) checkBases(lib *Library, d *Draft, at Date) []Finding {
	var fs []Finding
	add := func(rule string, sev Severity, format string, args ...any) {
		fs = append(fs, Finding{Rule: rule, Component: ComponentBases, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	block := make([]string, 0, len(d.Bases)+1)
	for _, b := range d.Bases {
		block = append(block, b.Text)
	}
	if d.Proposal != "" {
		block = append(block, d.Proposal)
	}
	for i, l := range block {
		last := i == len(block)-1
		if last && !strings.HasSuffix(l, ".") {
			add(RuleBases, SeverityError, "Dòng căn cứ cuối cùng kết thúc bằng dấu chấm (.): «%s».", truncateRunes(l, 80))
		}
		if !last && !strings.HasSuffix(l, ";") {
			add(RuleBases, SeverityError, "Mỗi dòng căn cứ kết thúc bằng dấu chấm phẩy (;): «%s».", truncateRunes(l, 80))
		}
	}
	for _, b := range d.Bases {
		l := b.Text
		if !strings.HasPrefix(l, "Căn cứ ") {
			add(RuleBases, SeverityError, "Dòng căn cứ bắt đầu bằng «Căn cứ»: «%s».", truncateRunes(l, 80))
			continue
		}
		if strings.HasPrefix(strings.TrimPrefix(l, "Căn cứ "), PlaceholderPrefix) {
			continue
		}
		rest := l
		if m := basisAnchorRE.FindStringSubmatch(l); m != nil {
			rest = m[1]
		}
		fr := Fold(rest)
		law := strings.HasPrefix(fr, "luat ") || strings.HasPrefix(fr, "bo luat ") || strings.HasPrefix(fr, "phap lenh ")
		if law && lawNumberRE.MatchString(rest) {
			add(RuleCitation, SeverityWarning, "Luật, pháp lệnh được viện dẫn bằng tên loại và tên, không ghi số, ký hiệu: «%s».", truncateRunes(l, 80))
		}
		if !law && docNumberRE.MatchString(rest) && (!strings.Contains(rest, " ngày ") || !strings.Contains(rest, " số ")) {
			add(RuleCitation, SeverityWarning, "Viện dẫn lần đầu ghi đủ tên loại, số, ký hiệu, ngày ban hành, cơ quan ban hành và trích yếu: «%s».", truncateRunes(l, 80))
		}
		if lib == nil {
			continue
		}
		if b.Doc != "" {
			reg := lookupRegulation(lib, b.Doc)
			switch {
			case reg == nil:
				add(RuleBases, SeverityError, "Văn bản căn cứ «%s» không có trong cơ sở dữ liệu.", b.Doc)
			case reg.ValidityAt(at) != InForce:
				add(RuleBases, SeverityError, "Văn bản căn cứ «%s» %s vào ngày %s.", reg.CitationName(), validityWords(reg.ValidityAt(at)), at.Vietnamese())
			case b.Article != "":
				if _, ok := reg.Section(b.Article); !ok {
					add(RuleBases, SeverityError, "Không tìm thấy %s trong «%s».", anchorOrRaw(b.Article), reg.CitationName())
				}
			}
			continue
		}
		fs = append(fs, checkBasisText(lib, l, rest, law, at)...)
	}
	return fs
}

// checkBasisText resolves a căn cứ line read from a document by its
// numbers, or for a law by its name (and date, when two laws share a name).
func checkBasisText(lib *Library, l, rest string, law bool, at Date) []Finding {
	var fs []Finding
	add := func(sev Severity, format string, args ...any) {
		fs = append(fs, Finding{Rule: RuleBases, Component: ComponentBases, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	var cands []*Document
	if nums := docNumberRE.FindAllString(rest, -1); len(nums) > 0 && !law {
		reg := lookupRegulation(lib, nums[0])
		if reg != nil {
			cands = []*Document{reg}
		}
	} else if law {
		fr := Fold(rest)
		best := 0
		for _, doc := range lib.All() {
			if !isLaw(doc) || doc.Status == StatusArchived {
				continue
			}
			name := Fold(lawName(doc))
			if !strings.HasPrefix(fr, name) || len(name) < best {
				continue
			}
			if len(name) > best {
				best, cands = len(name), nil
			}
			cands = append(cands, doc)
		}
		if ds := findDates(rest); len(ds) > 0 && len(cands) > 1 {
			cands = slices.DeleteFunc(cands, func(doc *Document) bool { return doc.Regulation.Issued.String() != ds[0].key })
		}
	}
	if len(cands) == 0 {
		add(SeverityWarning, "Không tìm thấy văn bản của dòng căn cứ «%s» trong cơ sở dữ liệu nên chưa kiểm tra được hiệu lực.", truncateRunes(l, 80))
		return fs
	}
	var doc *Document
	for _, c := range cands {
		if c.ValidityAt(at) == InForce {
			doc = c
			break
		}
	}
	if doc == nil {
		add(SeverityError, "Văn bản căn cứ «%s» %s vào ngày %s.", cands[0].CitationName(), validityWords(cands[0].ValidityAt(at)), at.Vietnamese())
		return fs
	}
	return append(fs, checkBasisFacts(doc, l)...)
}

// basisArticleRE is the article a căn cứ line names before the regulation
// ("Căn cứ khoản 2 Điều 16 Luật Hộ tịch …").
var basisArticleRE = regexp.MustCompile(`^Căn cứ (?:điểm [a-zđ]\) ?)?(?:khoản \d+ )?Điều (\d+[a-z]?) `)

// checkBasisFacts compares what a căn cứ line read from a document says
// about a regulation of the knowledge base with its record: the issuing
// date, written the Vietnamese way (Phụ lục I, Phần I, mục II.6.a–b), and
// the article it names.
func checkBasisFacts(doc *Document, l string) []Finding {
	var fs []Finding
	add := func(rule string, sev Severity, format string, args ...any) {
		fs = append(fs, Finding{Rule: rule, Component: ComponentBases, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	r := doc.Regulation
	if m := numDateRE.FindString(l); m != "" {
		add(RuleCitation, SeverityWarning, "Ngày ban hành của văn bản căn cứ viết đầy đủ «ngày … tháng … năm …», không viết «%s».", m)
	}
	if ds := findDates(l); len(ds) > 0 && r.Issued.IsSet() && ds[0].key != r.Issued.String() {
		add(RuleCitation, SeverityError, "«%s» ban hành %s, không phải «%s».", doc.CitationName(), FormatDocDate(r.Issued), l[ds[0].start:ds[0].end])
	} else if m := longDateRE.FindStringSubmatch(l); m != nil && r.Issued.IsSet() {
		if want := FormatDocDate(r.Issued); !strings.Contains(l, want) {
			add(RuleCitation, SeverityWarning, "Ngày tháng viết «%s» (ngày dưới 10 và tháng 1, 2 có số 0 phía trước).", want)
		}
	}
	if m := basisArticleRE.FindStringSubmatch(l); m != nil {
		// A page may summarise only some articles, so a miss is a warning.
		if _, ok := doc.Section("dieu-" + m[1]); !ok {
			add(RuleBases, SeverityWarning, "Sổ tay không có Điều %s của «%s»; hãy kiểm tra lại số điều.", m[1], doc.CitationName())
		}
	}
	return fs
}
