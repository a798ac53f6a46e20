export { parseServiceProviderConfig, type Capabilities } from './parse-service-provider-config.ts'
export { parseSchemas } from './parse-schemas.ts'
export { parseResourceTypes, type ResourceType } from './parse-resource-types.ts'
export { userAttributeCharacteristics, type UserAttributeConstraints } from './user-attribute-characteristics.ts'
