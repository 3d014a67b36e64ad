# `cmake --install` (and `make install`, and the Debian package, which stages it with DESTDIR):
#   ${prefix}/sbin/herald                    the binary (/usr/sbin with --prefix /usr)
#   ${sysconfdir}/herald/herald.toml         packaging/herald.toml, the commented production
#                                            default (/etc with --prefix /usr)
#   ${HERALD_SYSTEMD_UNIT_DIR}/herald.service packaging/herald.service
#   /var/spool/herald, /var/log/herald       empty: the directories the shipped config names
# The man pages are installed by cmake/man_pages.cmake.
include(GNUInstallDirs)

install(TARGETS herald RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# Where systemd looks for the units of packages: /lib/systemd/system on Debian 12, which
# dh_installsystemd requires (systemd.pc says so where systemd is installed).
pkg_get_variable(systemd_unit_dir systemd systemdsystemunitdir)
if(NOT systemd_unit_dir)
  set(systemd_unit_dir /lib/systemd/system)
endif()
set(HERALD_SYSTEMD_UNIT_DIR ${systemd_unit_dir} CACHE PATH "where herald.service is installed")
install(FILES ${PROJECT_SOURCE_DIR}/packaging/herald.service
        DESTINATION ${HERALD_SYSTEMD_UNIT_DIR})

# The config may hold password hashes and tokens: not for every local user (the Debian
# package gives it to group herald in postinst, when that group exists). An administrator's
# edited config is never overwritten by a later install: the new default goes beside it as
# herald.toml.dist.
set(config_dir ${CMAKE_INSTALL_FULL_SYSCONFDIR}/herald)
# (file(INSTALL) puts DESTDIR in front of the destination itself.)
install(CODE "
  set(name herald.toml)
  if(EXISTS \"\$ENV{DESTDIR}${config_dir}/herald.toml\")
    set(name herald.toml.dist)
    message(STATUS \"Keeping \$ENV{DESTDIR}${config_dir}/herald.toml; the new default is \${name}\")
  endif()
  file(INSTALL \"${PROJECT_SOURCE_DIR}/packaging/herald.toml\" DESTINATION \"${config_dir}\"
       RENAME \${name} PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
")

# The spool and log directories of the shipped config, which are absolute there (/var/...)
# whatever the prefix. Herald, started as root, gives them to [server] user itself; the
# package does so in postinst, for systemd's User=herald.
install(DIRECTORY DESTINATION /var/spool/herald)
install(DIRECTORY DESTINATION /var/log/herald)
