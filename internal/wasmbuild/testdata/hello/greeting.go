package main

var greeting = "from the package"
