# The man pages, each made from the markdown document people read in the repository, so that
# the two cannot drift apart (scripts/man_page.py says how and why):
#   herald(8)      from docs/commands.md
#   herald.toml(5) from docs/config.md
# They are built with everything else into ${CMAKE_BINARY_DIR}/man/ (where the integration
# tests look for them, beside the binary), again whenever their source or the converter
# changes, and installed into the manual's sections 8 and 5.
include(GNUInstallDirs)

# The converter needs the standard library only; /usr/bin/python3 first, as the Makefile does.
find_program(HERALD_PYTHON3 python3 HINTS /usr/bin REQUIRED)

set(HERALD_MAN_DIR ${CMAKE_BINARY_DIR}/man)
set(man_converter ${PROJECT_SOURCE_DIR}/scripts/man_page.py)
set(man_outputs)
foreach(page_and_source herald.8=commands.md herald.toml.5=config.md)
  string(REPLACE "=" ";" page_and_source ${page_and_source})
  list(GET page_and_source 0 page)
  list(GET page_and_source 1 source)
  set(output ${HERALD_MAN_DIR}/${page})
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${HERALD_MAN_DIR}
    COMMAND ${HERALD_PYTHON3} ${man_converter} ${PROJECT_SOURCE_DIR}/docs/${source} ${output}
            --version ${PROJECT_VERSION}
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/${source} ${man_converter}
    COMMENT "Generating man page ${page} from docs/${source}"
    VERBATIM)
  string(REGEX MATCH "[0-9]$" section ${page})
  install(FILES ${output} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  list(APPEND man_outputs ${output})
endforeach()
add_custom_target(man_pages ALL DEPENDS ${man_outputs})
