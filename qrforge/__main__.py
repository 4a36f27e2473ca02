from qrforge.cli import main

main()
