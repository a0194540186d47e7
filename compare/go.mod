module github.com/pamkit/pam/compare

go 1.24

require (
	github.com/pamkit/pam v0.0.0
	github.com/pubnub/go/v7 v7.4.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/brianolson/cbor_go v1.0.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.35.0 // indirect
	golang.org/x/text v0.22.0 // indirect
)

replace github.com/pamkit/pam => ../
