package actors

// NewMemStore gives the external tests the in-memory store of the package's tests.
func NewMemStore() Store { return newMemStore() }
