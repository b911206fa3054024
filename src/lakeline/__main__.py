from lakeline.cli import main

main()
