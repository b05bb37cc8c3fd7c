# integration.web_root: splitlined's default --web-root, from the build
# folder and from an installed prefix (cmake --install).
sl_integration_test(web_root TIMEOUT 600)
