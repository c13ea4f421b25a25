print("iotreg: not yet wired")
