// Names for the generated OpenAPI types (schema.d.ts comes from `agora openapi`; never edit it).
import type { components } from './schema';

type Schemas = components['schemas'];
export type User = Schemas['User'];
export type Session = Schemas['Session'];
export type Product = Schemas['Product'];
export type Category = Schemas['Category'];
export type Money = Schemas['Money'];
export type Cart = Schemas['Cart'];
export type CartItem = Schemas['CartItem'];
export type Order = Schemas['Order'];
export type PageMeta = Schemas['PageMeta'];
export type FeatureFlag = Schemas['FeatureFlag'];
export type FeatureFlagChange = Schemas['FeatureFlagChange'];
export type Webhook = Schemas['Webhook'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type DeadLetter = Schemas['DeadLetter'];
export type Mail = Schemas['Mail'];
export type Stats = Schemas['Stats'];
export type Readiness = Schemas['Readiness'];
export type ErrorBody = Schemas['ErrorBody'];
export type Role = Schemas['Role'];
export type Tier = Schemas['Tier'];

export interface Page<T> {
  data: T[];
  meta: PageMeta;
}
