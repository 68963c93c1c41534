package query

import (
	"fmt"
	"testing"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

func cols(specs ...string) []*column.Column {
	var out []*column.Column
	for i := 0; i < len(specs); i += 2 {
		c := &column.Column{Name: specs[i], DataType: specs[i+1], ColumnType: specs[i+1], Precision: 10, Scale: 2}
		c.Classify(column.Options{})
		out = append(out, c)
	}
	return out
}

func TestAfter(t *testing.T) {
	one := cols("i`d", "int")
	if got := After(one); got != "`i``d` > ?" {
		t.Errorf("After(one) = %s", got)
	}
	three := cols("a", "int", "b", "decimal", "c", "varchar")
	want := "`a` >= ? AND ((`a` > ?) OR (`a` = ? AND `b` > CAST(? AS DECIMAL(10,2))) OR (`a` = ? AND `b` = CAST(? AS DECIMAL(10,2)) AND `c` > ?))"
	if got := After(three); got != want {
		t.Errorf("After(three) =\n%s\nwant\n%s", got, want)
	}
	args, err := AfterArgs(three, [][]byte{[]byte("1"), []byte("2.50"), []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(args); got != "[1 1 1 2.50 1 2.50 x]" {
		t.Errorf("AfterArgs = %s", got)
	}
}

func TestSelectFrom(t *testing.T) {
	got := SelectFrom("r`db", "t 1", cols("f", "float", "x", "int"))
	if want := "SELECT (`f` + 0e0), `x` FROM `r``db`.`t 1`"; got != want {
		t.Errorf("SelectFrom = %s, want %s", got, want)
	}
}
