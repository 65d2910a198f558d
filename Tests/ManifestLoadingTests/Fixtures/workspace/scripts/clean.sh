#!/bin/sh
# Drops empty lines from the support logs.
grep -v "^$" "$1" > "$2"
