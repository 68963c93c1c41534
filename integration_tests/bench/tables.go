// Package bench measures `source-mysql-radar read | destination-s3-parquet
// write` against the physical limits of the machine it runs on: the
// MariaDB command-line client and a bare go-sql-driver scan read the same
// tables, and each connector is also measured alone. It generates its
// tables once (cached in MariaDB), runs every stage several times
// interleaved, and writes a Markdown report with a PNG chart.
package bench

import (
	"math/rand/v2"
	"strconv"
)

// Table is one generated benchmark table.
type Table struct {
	// Name is the table (and stream) name.
	Name string
	// DDL creates the table; %s is replaced by the name.
	DDL string
	// Columns lists the columns in insert order.
	Columns []string
	// Row appends row i (0-based) as a SQL tuple "(v1,v2,...)" to b.
	Row func(r *rand.Rand, i int64, b []byte) []byte
	// Seed salts the table's random stream, so tables do not share values.
	Seed uint64
}

// Tables returns the four benchmark tables in the order they are measured.
func Tables() []Table { return []Table{narrow, store, textHeavy, decimalTimeHeavy} }

// TableByName returns a table of Tables.
func TableByName(name string) (Table, bool) {
	for _, t := range Tables() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// SchemaVersion changes whenever a table's definition or generator does;
// cached tables of another version are regenerated.
const SchemaVersion = 1

var narrow = Table{
	Name:    "narrow",
	DDL:     "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, a BIGINT NOT NULL, b INT NOT NULL, c BIGINT NOT NULL) ENGINE=InnoDB",
	Columns: []string{"id", "a", "b", "c"},
	Seed:    1,
	Row: func(r *rand.Rand, i int64, b []byte) []byte {
		b = append(b, '(')
		b = strconv.AppendInt(b, i+1, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, r.Int64N(1_000_000_000_000), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.Int32()), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, 1_600_000_000_000+i*37+r.Int64N(37), 10)
		return append(b, ')')
	},
}

var (
	cities  = []string{"São Paulo", "Curitiba", "Porto Alegre", "Belo Horizonte", "Florianópolis", "Londrina", "Maringá", "Joinville", "Ribeirão Preto", "Goiânia", "Campinas", "Cascavel"}
	states  = []string{"SP", "PR", "RS", "MG", "SC", "PR", "PR", "SC", "SP", "GO", "SP", "PR"}
	brands  = []string{"Nissei", "Raia", "Drogasil", "Pague Menos", "Panvel", "São João", "Venâncio", "Droga Leste"}
	streets = []string{"Rua das Flores", "Av. Brasil", "Rua XV de Novembro", "Av. Paulista", "Rua Marechal Deodoro", "Av. Sete de Setembro", "Rua Barão do Rio Branco", "Av. Getúlio Vargas"}
	hoods   = []string{"Centro", "Vila Mariana", "Batel", "Moema", "Água Verde", "Savassi", "Boa Vista", "Jardim Botânico", "Cabral"}
	surname = []string{"Silva", "Souza", "Oliveira", "Santos", "Pereira", "Costa", "Rodrigues", "Almeida", "Nascimento", "Lima", "Araújo", "Ferreira"}
	domains = []string{"nissei", "raia", "drogasil", "paguemenos", "panvel", "saojoao", "venancio", "drogaleste"}
)

var store = Table{
	Name: "store",
	DDL: "CREATE TABLE %s (Id INT NOT NULL PRIMARY KEY, CNPJ VARCHAR(20) NOT NULL, Company_Name VARCHAR(255) NOT NULL, Name VARCHAR(255) NOT NULL, " +
		"Status INT NOT NULL, Brand INT NOT NULL, Created_At TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, Modified_At DATETIME(6) NOT NULL, " +
		"Email VARCHAR(255) NULL, Phone VARCHAR(50) NULL, Revenue DECIMAL(15,2) NOT NULL, Active TINYINT(1) NOT NULL, Address VARCHAR(255) NOT NULL, " +
		"Neighborhood VARCHAR(100) NOT NULL, City VARCHAR(100) NOT NULL, State CHAR(2) NOT NULL, Zip_Code VARCHAR(10) NOT NULL, Latitude DOUBLE NOT NULL, " +
		"Longitude DOUBLE NOT NULL, Opening_Date DATE NOT NULL, Manager_Id INT NULL, External_Code CHAR(36) NOT NULL, Notes TEXT NULL, Deleted_At DATETIME NULL, " +
		"KEY idx_modified (Modified_At)) ENGINE=InnoDB",
	Columns: []string{"Id", "CNPJ", "Company_Name", "Name", "Status", "Brand", "Created_At", "Modified_At", "Email", "Phone", "Revenue", "Active",
		"Address", "Neighborhood", "City", "State", "Zip_Code", "Latitude", "Longitude", "Opening_Date", "Manager_Id", "External_Code", "Notes", "Deleted_At"},
	Seed: 2,
	Row: func(r *rand.Rand, i int64, b []byte) []byte {
		id := i + 1
		brand := r.IntN(len(brands))
		city := r.IntN(len(cities))
		b = append(b, '(')
		b = strconv.AppendInt(b, id, 10)
		// CNPJ 00.485.780/0014-30
		b = append(b, ",'"...)
		b = appendDigits(b, r, 2)
		b = append(b, '.')
		b = appendDigits(b, r, 3)
		b = append(b, '.')
		b = appendDigits(b, r, 3)
		b = append(b, "/0"...)
		b = appendDigits(b, r, 3)
		b = append(b, '-')
		b = appendDigits(b, r, 2)
		b = append(b, "','Farmácia "...)
		b = append(b, pick(r, surname)...)
		b = append(b, ' ')
		b = append(b, pick(r, surname)...)
		b = append(b, " ME','"...)
		b = append(b, brands[brand]...)
		b = append(b, ' ')
		b = append(b, pick(r, hoods)...)
		b = append(b, " - Loja "...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, "',"...)
		b = strconv.AppendInt(b, int64(r.IntN(4)), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(brand+1), 10)
		b = append(b, ',')
		b = appendDateTime(b, r, false) // Created_At (TIMESTAMP range)
		b = append(b, ',')
		b = appendDateTime(b, r, true) // Modified_At DATETIME(6)
		b = append(b, ',')
		if r.IntN(100) < 5 {
			b = append(b, "NULL"...)
		} else {
			b = append(b, "'loja"...)
			b = strconv.AppendInt(b, id, 10)
			b = append(b, '@')
			b = append(b, domains[brand]...)
			b = append(b, ".com.br'"...)
		}
		b = append(b, ',')
		if r.IntN(100) < 5 {
			b = append(b, "NULL"...)
		} else {
			b = append(b, "'("...)
			b = strconv.AppendInt(b, int64(11+r.IntN(89)), 10)
			b = append(b, ") 9"...)
			b = appendDigits(b, r, 4)
			b = append(b, '-')
			b = appendDigits(b, r, 4)
			b = append(b, '\'')
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, r.Int64N(1_000_000_000), 10) // Revenue up to 9,999,999.99
		b = append(b, '.')
		b = appendDigits(b, r, 2)
		b = append(b, ',')
		b = strconv.AppendBool(b, r.IntN(10) > 1)
		b = append(b, ",'"...)
		b = append(b, pick(r, streets)...)
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(1+r.IntN(4999)), 10)
		b = append(b, "','"...)
		b = append(b, pick(r, hoods)...)
		b = append(b, "','"...)
		b = append(b, cities[city]...)
		b = append(b, "','"...)
		b = append(b, states[city]...)
		b = append(b, "','"...)
		b = appendDigits(b, r, 5)
		b = append(b, '-')
		b = appendDigits(b, r, 3)
		b = append(b, "',"...)
		b = strconv.AppendFloat(b, -23.5+r.Float64()*2, 'g', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, -46.6+r.Float64()*2, 'g', -1, 64)
		b = append(b, ',')
		b = appendDate(b, r)
		b = append(b, ',')
		if r.IntN(100) < 10 {
			b = append(b, "NULL"...)
		} else {
			b = strconv.AppendInt(b, int64(1+r.IntN(5000)), 10)
		}
		b = append(b, ",'"...)
		b = appendUUID(b, r)
		b = append(b, "',"...)
		if r.IntN(100) < 80 {
			b = append(b, "NULL"...)
		} else {
			b = append(b, '\'')
			b = appendWords(b, r, 40+r.IntN(200))
			b = append(b, '\'')
		}
		b = append(b, ',')
		if r.IntN(100) < 95 {
			b = append(b, "NULL"...)
		} else {
			b = appendDateTime(b, r, false)
		}
		return append(b, ')')
	},
}

// LongTextEvery is how often (in rows) text_heavy has a 64–256 KiB
// long_description.
const LongTextEvery = 2000

var textHeavy = Table{
	Name: "text_heavy",
	DDL: "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, sku VARCHAR(32) NOT NULL, name VARCHAR(255) NOT NULL, brand VARCHAR(100) NOT NULL, " +
		"category VARCHAR(100) NOT NULL, price DECIMAL(10,2) NOT NULL, short_description VARCHAR(1000) NOT NULL, description TEXT NOT NULL, " +
		"specifications TEXT NULL, long_description MEDIUMTEXT NULL, updated_at DATETIME(6) NOT NULL) ENGINE=InnoDB",
	Columns: []string{"id", "sku", "name", "brand", "category", "price", "short_description", "description", "specifications", "long_description", "updated_at"},
	Seed:    3,
	Row: func(r *rand.Rand, i int64, b []byte) []byte {
		b = append(b, '(')
		b = strconv.AppendInt(b, i+1, 10)
		b = append(b, ",'789"...)
		b = appendDigits(b, r, 10)
		b = append(b, "','"...)
		b = append(b, pick(r, drugs)...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(5+r.IntN(60)), 10)
		b = append(b, " comprimidos','"...)
		b = append(b, pick(r, labs)...)
		b = append(b, "','"...)
		b = append(b, pick(r, categories)...)
		b = append(b, "',"...)
		b = strconv.AppendInt(b, int64(1+r.IntN(99999)), 10)
		b = append(b, '.')
		b = appendDigits(b, r, 2)
		b = append(b, ",'"...)
		b = appendWords(b, r, 60+r.IntN(140))
		b = append(b, "','"...)
		b = appendWords(b, r, 200+r.IntN(600))
		b = append(b, "',"...)
		if r.IntN(100) < 10 {
			b = append(b, "NULL"...)
		} else {
			b = append(b, '\'')
			b = appendWords(b, r, 80+r.IntN(220))
			b = append(b, '\'')
		}
		b = append(b, ',')
		if i%LongTextEvery == LongTextEvery-1 {
			b = append(b, '\'')
			b = appendWords(b, r, 64<<10+r.IntN(192<<10))
			b = append(b, '\'')
		} else {
			b = append(b, "NULL"...)
		}
		b = append(b, ',')
		b = appendDateTime(b, r, true)
		return append(b, ')')
	},
}

var (
	drugs      = []string{"Dipirona Sódica 500mg", "Losartana Potássica 50mg", "Omeprazol 20mg", "Amoxicilina 500mg", "Ibuprofeno 600mg", "Atorvastatina 20mg", "Metformina 850mg", "Sinvastatina 40mg", "Puran T4 50mcg", "Paracetamol 750mg", "Vitamina C 1g", "Protetor Solar FPS 50"}
	labs       = []string{"EMS", "Medley", "Eurofarma", "Aché", "Neo Química", "Sanofi", "Pfizer", "Germed", "Cimed", "Prati-Donaduzzi"}
	categories = []string{"Medicamentos", "Genéricos", "Dermocosméticos", "Higiene Pessoal", "Infantil", "Suplementos", "Perfumaria", "Conveniência"}
	words      = []string{"comprimido", "revestido", "uso", "adulto", "pediátrico", "indicado", "para", "alívio", "dor", "febre", "tratamento", "hipertensão",
		"arterial", "colesterol", "embalagem", "contém", "frasco", "com", "ml", "de", "solução", "oral", "gotas", "cápsulas", "não", "utilizar", "em", "caso",
		"hipersensibilidade", "aos", "componentes", "da", "fórmula", "consulte", "o", "médico", "farmacêutico", "mantenha", "fora", "do", "alcance", "das",
		"crianças", "armazenar", "temperatura", "ambiente", "proteger", "luz", "umidade", "registro", "MS", "lote", "validade", "meses", "após", "fabricação",
		"princípio", "ativo", "excipientes", "q.s.p.", "posologia", "via", "administração", "sabor", "morango", "laranja", "sem", "açúcar", "glúten", "lactose"}
)

var decimalTimeHeavy = Table{
	Name: "decimal_time_heavy",
	DDL: "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, d5_2 DECIMAL(5,2) NOT NULL, d10_0 DECIMAL(10,0) NOT NULL, d18_2 DECIMAL(18,2) NOT NULL, " +
		"d18_6 DECIMAL(18,6) NULL, d38_10 DECIMAL(38,10) NOT NULL, d65_30 DECIMAL(65,30) NULL, dt6 DATETIME(6) NOT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL, " +
		"tm TIME NOT NULL, dte DATE NOT NULL, flag TINYINT(1) NOT NULL, u64 BIGINT UNSIGNED NOT NULL, doc JSON NULL) ENGINE=InnoDB",
	Columns: []string{"id", "d5_2", "d10_0", "d18_2", "d18_6", "d38_10", "d65_30", "dt6", "ts6", "tm", "dte", "flag", "u64", "doc"},
	Seed:    4,
	Row: func(r *rand.Rand, i int64, b []byte) []byte {
		b = append(b, '(')
		b = strconv.AppendInt(b, i+1, 10)
		b = append(b, ',')
		b = appendSigned(b, r)
		b = strconv.AppendInt(b, int64(r.IntN(1000)), 10)
		b = append(b, '.')
		b = appendDigits(b, r, 2)
		b = append(b, ',')
		b = appendSigned(b, r)
		b = strconv.AppendInt(b, r.Int64N(10_000_000_000), 10)
		b = append(b, ',')
		b = appendSigned(b, r)
		b = strconv.AppendInt(b, r.Int64N(10_000_000_000_000_000), 10)
		b = append(b, '.')
		b = appendDigits(b, r, 2)
		b = append(b, ',')
		if r.IntN(100) < 10 {
			b = append(b, "NULL"...)
		} else {
			b = strconv.AppendInt(b, r.Int64N(1_000_000_000_000), 10)
			b = append(b, '.')
			b = appendDigits(b, r, 6)
		}
		b = append(b, ',')
		b = appendSigned(b, r)
		b = appendDigits(b, r, 1+r.IntN(28))
		b = append(b, '.')
		b = appendDigits(b, r, 10)
		b = append(b, ',')
		if r.IntN(100) < 20 {
			b = append(b, "NULL"...)
		} else {
			b = appendSigned(b, r)
			b = appendDigits(b, r, 1+r.IntN(35))
			b = append(b, '.')
			b = appendDigits(b, r, 30)
		}
		b = append(b, ',')
		b = appendDateTime(b, r, true)
		b = append(b, ',')
		if r.IntN(100) < 5 {
			b = append(b, "NULL"...)
		} else {
			b = appendDateTime(b, r, true)
		}
		b = append(b, ",'"...)
		if r.IntN(4) == 0 {
			b = append(b, '-')
		}
		b = strconv.AppendInt(b, int64(r.IntN(839)), 10)
		b = append(b, ':')
		b = appendTwo(b, r.IntN(60))
		b = append(b, ':')
		b = appendTwo(b, r.IntN(60))
		b = append(b, "',"...)
		b = appendDate(b, r)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.IntN(2)), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, ^uint64(0)-r.Uint64N(1<<40), 10)
		b = append(b, ',')
		if r.IntN(100) < 15 {
			b = append(b, "NULL"...)
		} else {
			b = append(b, `'{"sku":"789`...)
			b = appendDigits(b, r, 10)
			b = append(b, `","qty":`...)
			b = strconv.AppendInt(b, int64(r.IntN(500)), 10)
			b = append(b, `,"price":`...)
			b = strconv.AppendInt(b, int64(r.IntN(10000)), 10)
			b = append(b, `.`...)
			b = appendDigits(b, r, 2)
			b = append(b, `,"tags":["`...)
			b = append(b, pick(r, categories)...)
			b = append(b, `","`...)
			b = append(b, pick(r, labs)...)
			b = append(b, `"],"active":`...)
			b = strconv.AppendBool(b, r.IntN(2) == 0)
			b = append(b, "}'"...)
		}
		return append(b, ')')
	},
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// appendDigits appends n random decimal digits (leading zeros allowed).
func appendDigits(b []byte, r *rand.Rand, n int) []byte {
	for range n {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return b
}

func appendSigned(b []byte, r *rand.Rand) []byte {
	if r.IntN(5) == 0 {
		return append(b, '-')
	}
	return b
}

func appendTwo(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

// appendDate appends a quoted DATE between 2000-01-01 and 2027-12-28.
func appendDate(b []byte, r *rand.Rand) []byte {
	b = append(b, '\'')
	b = strconv.AppendInt(b, int64(2000+r.IntN(28)), 10)
	b = append(b, '-')
	b = appendTwo(b, 1+r.IntN(12))
	b = append(b, '-')
	b = appendTwo(b, 1+r.IntN(28))
	return append(b, '\'')
}

// appendDateTime appends a quoted date-time between 2015 and 2030 (inside
// TIMESTAMP's range), with six fractional digits when micros is set.
func appendDateTime(b []byte, r *rand.Rand, micros bool) []byte {
	b = append(b, '\'')
	b = strconv.AppendInt(b, int64(2015+r.IntN(15)), 10)
	b = append(b, '-')
	b = appendTwo(b, 1+r.IntN(12))
	b = append(b, '-')
	b = appendTwo(b, 1+r.IntN(28))
	b = append(b, ' ')
	b = appendTwo(b, r.IntN(24))
	b = append(b, ':')
	b = appendTwo(b, r.IntN(60))
	b = append(b, ':')
	b = appendTwo(b, r.IntN(60))
	if micros {
		b = append(b, '.')
		b = appendDigits(b, r, 6)
	}
	return append(b, '\'')
}

const hexDigits = "0123456789abcdef"

func appendUUID(b []byte, r *rand.Rand) []byte {
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[r.IntN(16)])
	}
	return b
}

// appendWords appends about n bytes of space-separated vocabulary words and
// sentence punctuation (never a quote or a backslash).
func appendWords(b []byte, r *rand.Rand, n int) []byte {
	start := len(b)
	for len(b)-start < n {
		if len(b) > start {
			switch r.IntN(12) {
			case 0:
				b = append(b, ". "...)
			case 1:
				b = append(b, ", "...)
			default:
				b = append(b, ' ')
			}
		}
		b = append(b, pick(r, words)...)
	}
	return b
}
