package memvec

// dotFMA is the inner product with AVX and FMA3 (dot_amd64.s); len(b) must
// be at least len(a).
//
//go:noescape
func dotFMA(a, b []float32) float32

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// hasFMA reports whether the CPU has AVX and FMA3 and the OS saves the
// YMM registers (CPUID leaf 1 ECX bits 12, 27, 28; XCR0 bits 1 and 2).
// The standard library's own check (internal/cpu) is not importable and
// golang.org/x/sys/cpu would be memvec's only dependency for ten lines.
func hasFMA() bool {
	_, _, ecx, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	xcr0, _ := xgetbv()
	return xcr0&6 == 6
}

func init() {
	if hasFMA() {
		// On the 2-core development machine: 3–8× the pure Go loop, which
		// the compiler does not vectorise (docs/BENCHMARKS.md).
		dot = dotFMA
	}
}
