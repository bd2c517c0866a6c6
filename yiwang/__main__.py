from yiwang.cli import main

main()
