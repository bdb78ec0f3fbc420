package rollups

// Visitor is what a rollup may look at in a visitor's history.
type Visitor interface {
	// FirstUserAgent returns the first user agent the visitor was seen with; ok is
	// false when it has none yet.
	FirstUserAgent() (ua string, ok bool)
	// FirstHuman returns the timestamp (Unix seconds) of the visitor's first record
	// processed on the human path; ok is false when there is none yet, or when it is
	// not known.
	FirstHuman() (ts int64, ok bool)
}

// Rollup maps a record's timestamp (Unix seconds) and its visitor to a bucket.
type Rollup interface {
	// Key is the rollup's name, stored with every counter it produces.
	Key() string
	// Bucket returns the bucket of the record at ts for visitor v.
	Bucket(ts int64, v Visitor) string
}

// AllBucket is the single bucket of an all-time rollup.
const AllBucket = "0"

type allRollup struct{ key string }

// NewAll returns an all-time rollup: every record falls into bucket "0".
func NewAll(key string) Rollup { return allRollup{key: key} }

func (r allRollup) Key() string                  { return r.key }
func (r allRollup) Bucket(int64, Visitor) string { return AllBucket }
