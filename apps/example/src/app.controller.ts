import { EntityManager } from '@mikro-orm/core';
import { Body, Controller, Get, HttpCode, Post, ServiceUnavailableException } from '@nestjs/common';
import { CurrentTenant, SharedRoute, TenancyService, type TenantRecord } from 'nestjs-tenancy';
import { objectBody, stringField } from './projects/project.input.js';

/** Shared routes (no tenant) and `/whoami`. */
@Controller()
export class AppController {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly em: EntityManager,
  ) {}

  @SharedRoute()
  @Get('health')
  async health(): Promise<{ status: 'ok' }> {
    try {
      await this.em.getConnection().execute('select 1');
    } catch {
      throw new ServiceUnavailableException('The database is unavailable.');
    }
    return { status: 'ok' };
  }

  @SharedRoute()
  @Post('signup')
  @HttpCode(201)
  async signup(
    @Body() body: unknown,
  ): Promise<{ id: number; schema: string; name: string; status: string; domains: { host: string; isPrimary: boolean }[] }> {
    const input = objectBody(body);
    const schema = stringField(input, 'schema', 63, true) as string;
    const name = stringField(input, 'name', 200, true) as string;
    const domain = stringField(input, 'domain', 253, true) as string;
    const tenant = await this.tenancy.createTenant({ schema, name, domains: [domain] });
    return { id: tenant.id, schema: tenant.schema, name: tenant.name, status: tenant.status, domains: tenant.domains };
  }

  @Get('whoami')
  whoami(@CurrentTenant() tenant: TenantRecord): { tenant: { id: number; schema: string; name: string } } {
    return { tenant: { id: tenant.id, schema: tenant.schema, name: tenant.name } };
  }
}
