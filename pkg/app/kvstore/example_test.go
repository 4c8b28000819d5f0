package kvstore_test

import (
	"fmt"

	"github.com/pompe-bft/pompe/pkg/app"
	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

// A client encodes commands with the Encode functions, pompe orders them
// and every replica's store executes them; the client decodes the results.
func Example() {
	store, err := kvstore.New(kvstore.Limits{})
	if err != nil {
		panic(err)
	}
	client := [app.ClientIDBytes]byte{1}
	results := store.Execute(1, []app.Command{
		{Client: client, Seq: 1, Payload: kvstore.EncodePut([]byte("color"), []byte("red"))},
		{Client: client, Seq: 2, Payload: kvstore.EncodeCAS([]byte("color"), []byte("blue"), []byte("green"))},
		{Client: client, Seq: 3, Payload: kvstore.EncodeCAS([]byte("color"), []byte("red"), []byte("green"))},
		{Client: client, Seq: 4, Payload: kvstore.EncodeGet([]byte("color"))},
		{Client: client, Seq: 5, Payload: []byte{0xff}},
	}, app.ResultLimits{})
	for i, r := range results {
		res, err := kvstore.DecodeResult(r)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%d: found=%v ok=%v value=%q err=%q\n", i+1, res.Found, res.OK, res.Value, res.Err)
	}
	// Output:
	// 1: found=false ok=true value="" err=""
	// 2: found=true ok=false value="red" err=""
	// 3: found=true ok=true value="red" err=""
	// 4: found=true ok=true value="green" err=""
	// 5: found=false ok=false value="" err="kvstore: malformed command: unknown operation 0xff"
}
