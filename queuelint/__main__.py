from queuelint.cli import main

main()
