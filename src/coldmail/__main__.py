from coldmail.cli.app import main

main()
