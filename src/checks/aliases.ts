/** Ids that changed when file, area and id prefix were made one; still accepted by `--only`/`--skip`. */
export const CHECK_ALIASES: Readonly<Record<string, string>> = {
  'put.immutable.unchanged': 'put.readonly.immutable-unchanged',
  'put.attributes-param': 'put.attributes.param',
}
