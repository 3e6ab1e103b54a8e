# Writes OUT, a C header defining NAME as the bytes of IN, NUL-terminated (cmake -P).
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "/* generated from ${IN} */\nstatic const char ${NAME}[] = {${bytes}0x00};\n")
