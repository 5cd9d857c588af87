package can_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

func ExampleParseFrame() {
	f, err := can.ParseFrame("123##1DEADBEEF")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.IsFD(), f.Len, f.Flags, f.DLC())
	b, _ := f.MarshalBinary()
	fmt.Println(len(b), f)
	// Output:
	// true 4 BRS|FDF 4
	// 72 123##5DEADBEEF
}

func ExampleParseError() {
	f, _ := can.ParseFrame("20000040#0000000000000000")
	e, _ := can.ParseError(&f)
	fmt.Println(e.State(), "-", e)
	// Output:
	// bus-off - can error: bus-off (state bus-off)
}

func ExampleLogReader() {
	log := "(1436509052.249713) vcan0 044#2A366C2BBA\n(1436509052.449847) vcan0 0F6##17ADF\n"
	r := can.NewLogReader(strings.NewReader(log), "example.log")
	w := can.NewLogWriter(os.Stdout, false)
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		e.Time = e.Time.Add(time.Second)
		w.Write(&e)
	}
	w.Flush()
	// Output:
	// (1436509053.249713) vcan0 044#2A366C2BBA
	// (1436509053.449847) vcan0 0F6##57ADF
}

func ExampleParseFilter() {
	f, _ := can.ParseFilter("123~7FF")
	b, _ := f.MarshalBinary()
	fmt.Println(f, f.Match(0x123), f.Match(0x124), len(b))
	// Output:
	// 123~7FF false true 8
}
