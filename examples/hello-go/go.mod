module example.com/slimbuild/hello-go

go 1.19
