package demo

import (
	"fmt"
	"path/filepath"
	"strings"
)

// sampleWidth bounds a sample row's line.
const sampleWidth = 150

func (o *Options) printSummary(res *Result) {
	w := o.Out
	fmt.Fprintf(w, "\nSummary\n\n")
	const row = "  %-22s %9s %6s %11s %8s   %s"
	line := func(args ...any) { fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf(row, args...), " ")) }
	line("stream", "rows", "files", "bytes", "seconds", "Parquet read back")
	var rows, bytes int64
	files := 0
	for _, s := range res.Streams {
		check := "✓ " + Thousands(s.ParquetRows) + " rows"
		if s.ParquetRows != s.TableRows || s.PipeRows != s.TableRows {
			check = fmt.Sprintf("✗ %s rows (MySQL has %s)", Thousands(s.ParquetRows), Thousands(s.TableRows))
		}
		if s.Codec != "" {
			check += ", " + s.Codec
		}
		line(Truncate(s.Name, 22), Thousands(s.PipeRows), fmt.Sprint(s.Files), HumanBytes(s.Bytes),
			fmt.Sprintf("%.2f", s.Seconds), check)
		rows += s.PipeRows
		bytes += s.Bytes
		files += s.Files
	}
	line("total", Thousands(rows), fmt.Sprint(files), HumanBytes(bytes), fmt.Sprintf("%.2f", res.SyncWall.Seconds()), "")
	if res.SyncWall > 0 {
		fmt.Fprintf(w, "\n  %s rows/s through the pipe (source read → Parquet → S3, states acknowledged)\n",
			Thousands(int64(float64(rows)/res.SyncWall.Seconds())))
	}

	fmt.Fprintf(w, "\nFiles (plain files; the S3 key is the path under the bucket folder)\n\n")
	fmt.Fprintf(w, "  bucket folder: %s\n", o.rel(res.BucketDir))
	example := ""
	for _, s := range res.Streams {
		if s.FirstFile != "" && (example == "" || s.Name == "store") {
			example = s.FirstFile
		}
	}
	if example != "" {
		fmt.Fprintf(w, "  e.g.           %s\n", o.rel(example))
	}
	fmt.Fprintf(w, "  configs:       %s, %s, %s\n", o.rel(res.Files.SourceConfig), filepath.Base(res.Files.DestinationConfig), filepath.Base(res.Files.ConfiguredCatalog))

	fmt.Fprintf(w, "\nQuery of the result (read back from the Parquet files with arrow-go parquet/pqarrow)\n\n")
	ok := 0
	for _, s := range res.Streams {
		if s.ParquetRows == s.TableRows {
			ok++
		}
	}
	fmt.Fprintf(w, "  row count per stream: %d of %d streams hold exactly the rows of their MySQL table\n", ok, len(res.Streams))
	fmt.Fprintf(w, "  first row of each stream:\n")
	var meta []Field
	for _, s := range res.Streams {
		var data []Field
		for _, f := range s.Sample {
			if strings.HasPrefix(f.Name, "_airbyte_") {
				if meta == nil || s.Name == "store" {
					meta = append(meta[:0:0], metaFields(s.Sample)...)
				}
				continue
			}
			data = append(data, f)
		}
		fmt.Fprintf(w, "    %-22s %s\n", Truncate(s.Name, 22), Truncate(joinFields(data), sampleWidth))
	}
	if len(meta) > 0 {
		fmt.Fprintf(w, "  and the Airbyte columns each row carries (store):\n    %s\n", joinFields(meta))
	}
	var phases []string
	for _, p := range res.Phases {
		phases = append(phases, fmt.Sprintf("%s %.1fs", p.Name, p.Took.Seconds()))
	}
	fmt.Fprintf(w, "\n  demo took %.1fs (%s)\n", res.Total.Seconds(), strings.Join(phases, ", "))
}

func metaFields(fs []Field) []Field {
	var out []Field
	for _, f := range fs {
		if strings.HasPrefix(f.Name, "_airbyte_") {
			out = append(out, f)
		}
	}
	return out
}

func joinFields(fs []Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Name + "=" + f.Value
	}
	return strings.Join(parts, "  ")
}

func (o *Options) printRerun(res *Result, m *MySQL) {
	w := o.Out
	src, dst := o.rel(o.Source), o.rel(o.Destination)
	f := res.Files
	fmt.Fprintf(w, "\nRerun the pipe by hand (from the repository root)\n\n")
	if m.Embedded {
		fmt.Fprintf(w, "  The embedded MySQL server and the S3 endpoint stopped with the demo. Point %s\n", o.rel(f.SourceConfig))
		fmt.Fprintf(w, "  at a real server (host, port, database, username, password) and %s at a bucket\n", filepath.Base(f.DestinationConfig))
		fmt.Fprintf(w, "  (s3_bucket_name, s3_bucket_region, access keys; drop s3_endpoint for AWS), or run the demo on one:\n")
		fmt.Fprintf(w, "      make demo DEMO_ARGS='-mysql 127.0.0.1:3306 -user root -database radar_demo'\n\n")
	} else {
		fmt.Fprintf(w, "  The S3 endpoint stopped with the demo: point %s at a bucket\n", o.rel(f.DestinationConfig))
		fmt.Fprintf(w, "  (s3_bucket_name, s3_bucket_region, access keys; drop s3_endpoint for AWS).\n\n")
	}
	fmt.Fprintf(w, "  %s check    --config %s\n", src, o.rel(f.SourceConfig))
	fmt.Fprintf(w, "  %s discover --config %s\n", src, o.rel(f.SourceConfig))
	fmt.Fprintf(w, "  %s read --config %s --catalog %s \\\n", src, o.rel(f.SourceConfig), o.rel(f.ConfiguredCatalog))
	fmt.Fprintf(w, "    | %s write --config %s --catalog %s\n\n", dst, o.rel(f.DestinationConfig), o.rel(f.ConfiguredCatalog))
	fmt.Fprintf(w, "  or as the demo ran it, keeping the state for the next run (see README, Local pipe / runner):\n\n")
	fmt.Fprintf(w, "  %s run --source %s --source-config %s \\\n", filepath.Join(filepath.Dir(src), "airbyte-sync"), src, o.rel(f.SourceConfig))
	fmt.Fprintf(w, "    --destination %s --destination-config %s \\\n", dst, o.rel(f.DestinationConfig))
	fmt.Fprintf(w, "    --catalog %s --state %s --summary %s\n\n", o.rel(f.ConfiguredCatalog), o.rel(filepath.Join(f.Dir, "state.json")), o.rel(filepath.Join(f.Dir, "summary.json")))
}
