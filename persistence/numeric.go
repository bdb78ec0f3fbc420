package persistence

import (
	"fmt"
	"math/big"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// toNumeric converts d exactly to PostgreSQL's numeric.
func toNumeric(d decimal.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}
}

// toNullNumeric converts d exactly to PostgreSQL's numeric; NULL when d is not valid.
func toNullNumeric(d decimal.NullDecimal) pgtype.Numeric {
	if !d.Valid {
		return pgtype.Numeric{}
	}
	return toNumeric(d.Decimal)
}

// fromNumeric converts a numeric read from PostgreSQL exactly to a decimal; NULL is zero.
func fromNumeric(n pgtype.Numeric) (decimal.Decimal, error) {
	switch {
	case !n.Valid:
		return decimal.Zero, nil
	case n.NaN || n.InfinityModifier != pgtype.Finite:
		return decimal.Zero, fmt.Errorf("numeric value is not a finite number")
	case n.Int == nil:
		return decimal.Zero, nil
	}
	return decimal.NewFromBigInt(new(big.Int).Set(n.Int), n.Exp), nil
}
