package store_test

import (
	"os"

	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func testingPostgres() bool { return os.Getenv(storetest.PostgresEnv) != "" }
