module github.com/breachpath/breachpath

go 1.26.8
