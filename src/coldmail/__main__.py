from coldmail.cli import main

main()
