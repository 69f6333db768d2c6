module github.com/gatehouse-id/gatehouse

go 1.26
