package actors

import (
	"errors"
	"testing"
	"time"

	"github.com/manhattan-analytics/manhattan/ingest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateReportsEveryProblemByField(t *testing.T) {
	err := Config{BatchSize: -1, FlushInterval: -time.Second, Shards: MaxShards + 1}.Validate()
	require.Error(t, err)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		require.True(t, errors.As(e, &fe), "%v is a FieldError", e)
		fields = append(fields, fe.Field)
	}
	assert.Equal(t, []string{"Store", "Rules", "LogBase", "BatchSize", "FlushInterval", "Shards"}, fields)
	assert.Contains(t, err.Error(), "BatchSize: -1 is negative")
}

func TestZeroFieldsTakeTheDefaults(t *testing.T) {
	c := Config{Store: newMemStore(), Rules: testRules(t), LogBase: "log", BatchSize: 7}
	require.NoError(t, c.Validate(), "zero means default")
	d, got := DefaultConfig(), c.WithDefaults()
	assert.Equal(t, 7, got.BatchSize, "a set field stands")
	assert.Equal(t, d.FlushEvery, got.FlushEvery)
	assert.Equal(t, d.Shards, got.Shards)
	assert.Equal(t, DefaultSource, got.Source)
	assert.NotNil(t, got.Logger)
}

func TestStartRejectsAnInvalidConfig(t *testing.T) {
	_, err := Start(Config{Store: newMemStore(), Rules: testRules(t), LogBase: "log", CacheSize: -5}, ingest.Events{})
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "CacheSize", fe.Field)
}
