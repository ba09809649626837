//go:build e2e

package clustertest

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// RegInput is one register operation on notes/<Key>: a write (a note
// record appended to the WAL) or a consistent read.
type RegInput struct {
	Write bool
	Key   string
	Value string
}

// RegOutput is what a read returned ("" = absent).
type RegOutput struct {
	Value string
}

// RegisterModel is a set of independent registers, one per key, for
// porcupine.CheckOperations over RegInput/RegOutput operations.
func RegisterModel() porcupine.Model {
	return porcupine.Model{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[string][]porcupine.Operation{}
			for _, op := range history {
				k := op.Input.(RegInput).Key
				byKey[k] = append(byKey[k], op)
			}
			var out [][]porcupine.Operation
			for _, ops := range byKey {
				out = append(out, ops)
			}
			return out
		},
		Init: func() any { return "" },
		Step: func(state, input, output any) (bool, any) {
			in := input.(RegInput)
			if in.Write {
				return true, in.Value
			}
			return output.(RegOutput).Value == state.(string), state
		},
		DescribeOperation: func(input, output any) string {
			in := input.(RegInput)
			if in.Write {
				return fmt.Sprintf("put(%s, %s)", in.Key, in.Value)
			}
			return fmt.Sprintf("get(%s) -> %q", in.Key, output.(RegOutput).Value)
		},
	}
}
