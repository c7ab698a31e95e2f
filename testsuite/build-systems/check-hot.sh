#!/bin/sh
test "`./hot 1000`" = "work_spin(1000) = 4995"
