module github.com/chatumm/chatumm/tools/gonumbench

go 1.26.0

require (
	github.com/chatumm/chatumm v0.0.0
	gonum.org/v1/gonum v0.17.0
)

require (
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

// The chatumm checkout this directory lives in.
replace github.com/chatumm/chatumm => ../..
