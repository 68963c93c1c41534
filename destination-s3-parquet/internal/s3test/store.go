package s3test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// StoreSchema is a 24-column "store" table as our source describes it.
const StoreSchema = `{"type":"object","properties":{
 "id":{"type":"number","airbyte_type":"integer","x-mysql-type":"bigint"},
 "store_id":{"type":["null","number"],"airbyte_type":"integer","x-mysql-type":"int"},
 "sku":{"type":["null","string"],"maxLength":32,"x-mysql-type":"varchar(32)"},
 "name":{"type":["null","string"],"maxLength":120,"x-mysql-type":"varchar(120)"},
 "description":{"type":["null","string"],"x-mysql-type":"text"},
 "category":{"type":["null","string"],"maxLength":40,"x-mysql-type":"varchar(40)"},
 "brand":{"type":["null","string"],"maxLength":40,"x-mysql-type":"varchar(40)"},
 "price":{"type":["null","number"],"precision":12,"scale":2,"x-mysql-type":"decimal(12,2)"},
 "cost":{"type":["null","number"],"precision":12,"scale":2,"x-mysql-type":"decimal(12,2)"},
 "stock":{"type":["null","number"],"airbyte_type":"integer","x-mysql-type":"int"},
 "weight":{"type":["null","number"],"x-mysql-type":"double"},
 "is_active":{"type":["null","boolean"],"x-mysql-type":"tinyint(1)"},
 "created_at":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_without_timezone","x-mysql-type":"datetime(6)"},
 "updated_at":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_with_timezone","x-mysql-type":"timestamp"},
 "release_date":{"type":["null","string"],"format":"date","x-mysql-type":"date"},
 "open_time":{"type":["null","string"],"format":"time","airbyte_type":"time_without_timezone","x-mysql-type":"time"},
 "barcode":{"type":["null","string"],"maxLength":20,"x-mysql-type":"varchar(20)"},
 "attributes":{"type":["null","string"],"x-mysql-type":"json"},
 "rating":{"type":["null","number"],"x-mysql-type":"float"},
 "discount":{"type":["null","number"],"precision":5,"scale":2,"x-mysql-type":"decimal(5,2)"},
 "country":{"type":["null","string"],"maxLength":2,"x-mysql-type":"char(2)"},
 "city":{"type":["null","string"],"maxLength":60,"x-mysql-type":"varchar(60)"},
 "lat":{"type":["null","number"],"x-mysql-type":"double"},
 "lon":{"type":["null","number"],"x-mysql-type":"double"}
}}`

var words = strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu")

// AppendStoreRecord appends one RECORD line of stream name.
func AppendStoreRecord(b []byte, rng *rand.Rand, stream string, id int) []byte {
	w := func() string { return words[rng.IntN(len(words))] }
	b = append(b, `{"type":"RECORD","record":{"namespace":"radar","stream":"`...)
	b = append(b, stream...)
	b = append(b, `","data":{"id":`...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = fmt.Appendf(b, `,"store_id":%d,"sku":"SKU-%08d","name":"%s %s %s","description":"%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s"`,
		rng.IntN(500), rng.IntN(5_000_000), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w(), w())
	b = fmt.Appendf(b, `,"category":"%s","brand":"%s","price":%d.%02d,"cost":%d.%02d,"stock":%d,"weight":%.3f,"is_active":%t`,
		w(), w(), rng.IntN(10000), rng.IntN(100), rng.IntN(5000), rng.IntN(100), rng.IntN(100000), rng.Float64()*50, rng.IntN(10) > 0)
	b = fmt.Appendf(b, `,"created_at":"2024-%02d-%02dT%02d:%02d:%02d.%06d","updated_at":"2025-%02d-%02dT%02d:%02d:%02dZ","release_date":"20%02d-%02d-%02d","open_time":"%02d:%02d:00.000000"`,
		1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(1000000),
		1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60),
		10+rng.IntN(15), 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60))
	b = fmt.Appendf(b, `,"barcode":"%013d","attributes":"{\"color\": \"%s\", \"size\": %d}","rating":%.1f,"discount":%d.%02d,"country":"%s","city":"%s","lat":%.6f,"lon":%.6f}`,
		rng.Int64N(1e13), w(), rng.IntN(50), rng.Float64()*5, rng.IntN(90), rng.IntN(100), []string{"BR", "AR", "CL", "UY"}[rng.IntN(4)], w(), rng.Float64()*180-90, rng.Float64()*360-180)
	b = append(b, `,"emitted_at":1700000000000}}`+"\n"...)
	return b
}
