package can

import "testing"

const testDBC = `VERSION ""

BO_ 291 Engine: 8 ECU
 SG_ Speed : 0|16@1+ (0.1,0) [0|6553.5] "km/h" Vector__XXX
 SG_ Temp : 16|8@1- (1,-40) [-168|215] "degC" Vector__XXX
 SG_ Gear : 24|4@1+ (1,0) [0|15] "" Vector__XXX

BO_ 2147484163 Ext: 2 ECU
 SG_ Mode M : 0|8@1+ (1,0) [0|255] "" Vector__XXX
 SG_ A m1 : 8|8@1+ (1,0) [0|255] "" Vector__XXX
 SG_ B m2 : 8|8@1+ (2,0) [0|510] "" Vector__XXX

VAL_ 291 Gear 0 "Park" 1 "Drive" ;
`

func TestDBCDecode(t *testing.T) {
	d, err := ParseDBC("test.dbc", []byte(testDBC))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := ParseFrame("123#E803F60100000000")
	name, sigs, ok := d.Decode(&f)
	if !ok || name != "Engine" || len(sigs) != 3 {
		t.Fatalf("%v %q %+v", ok, name, sigs)
	}
	if got := FormatDecoded(name, sigs); got != "Engine: Speed=100 km/h, Temp=-50 degC, Gear=Drive" {
		t.Fatalf("%q", got)
	}
	f, _ = ParseFrame("00000203#0207")
	name, sigs, ok = d.Decode(&f)
	if !ok || name != "Ext" || FormatDecoded(name, sigs) != "Ext: Mode=2, B=14" {
		t.Fatalf("%v %q", ok, FormatDecoded(name, sigs))
	}
	f, _ = ParseFrame("124#00")
	if _, _, ok := d.Decode(&f); ok {
		t.Fatal("unknown id decoded")
	}
	if _, err := ParseDBC("bad.dbc", []byte("BO_ x")); err == nil {
		t.Fatal("bad DBC parsed")
	}
}
